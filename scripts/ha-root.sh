#!/usr/bin/env bash
# Installs Home Assistant Core 2026.11.0 — the release the tests mainly run
# against — into a Debian forky root cached outside the clone, because it needs
# Python >= 3.14.2 and this machine's Debian (bookworm) has no such Python.
# Core then runs with `chroot <root> …` and shares the host's network, so it
# listens on the host's loopback as before. Prints the root's path last.
#
# Needs root (debootstrap and chroot). Two runs at once are safe: the second
# waits on a lock and then reuses what the first built.
set -euo pipefail

ha_version=2026.11.0
here=$(cd "$(dirname "$0")" && pwd)
# A full freeze of a venv known to work (see constraints-py3.11.txt for why).
constraints="$here/constraints-py3.14.txt"
lock=none
[ -f "$constraints" ] && lock=$(sha256sum "$constraints" | cut -c1-8)

cache=${HTM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-token-manager}
root="$cache/root-forky-ha$ha_version-$lock"
stamp="$root/.complete"
# Paths inside the root; the harness and the demo read them from here.
venv=/opt/homeassistant

log() { echo "ha-root: $*" >&2; }

if [ -f "$stamp" ]; then
  echo "$root"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "building the Debian root needs root (debootstrap, chroot); run the tests as root"
  exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/.ha-root.lock"
if ! flock -n 9; then
  log "another run is building the root; waiting for it"
  flock 9
fi
# Another run may have finished it while this one waited.
if [ -f "$stamp" ]; then
  echo "$root"
  exit 0
fi

# The Debian mirror this machine is configured with (deb822 `URIs:` or a
# one-line `deb` entry), so the root comes from where the host's packages do;
# HTM_DEBIAN_MIRROR overrides it (e.g. on a host that is not Debian).
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && cat "$f"
  done |
    awk '/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }
         /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' |
    grep -E '/debian/?$' | head -n 1 || true
}

started=$(date +%s)
partial="$root.partial"
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
# A signal ends the script through `exit`, so the EXIT trap unmounts too.
trap "exit 130" INT TERM HUP

# A partial root from an interrupted run may still have proc mounted.
if mountpoint -q "$partial/proc" 2>/dev/null; then umount "$partial/proc" || umount -l "$partial/proc"; fi
rm -rf "$partial"

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
fi
mirror=${HTM_DEBIAN_MIRROR:-$(debian_mirror)}
if [ -z "$mirror" ]; then
  log "found no Debian mirror in /etc/apt/sources.list*; set HTM_DEBIAN_MIRROR to one"
  exit 1
fi

log "building a Debian forky root in $partial from $mirror (first use only; later runs reuse it)"
# Bookworm's debootstrap has no forky script; sid's bootstraps forky.
debootstrap --variant=minbase forky "$partial" "$mirror" /usr/share/debootstrap/scripts/sid |
  { grep -v -E '^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) ' || true; } >&2

# apt and the compilers need /proc while installing; Core runs without it, so
# nothing stays mounted once this script is done.
mount -t proc proc "$partial/proc"
mounted+=("$partial/proc")
cp /etc/resolv.conf "$partial/etc/resolv.conf"
# Trust what the host trusts (e.g. a TLS-inspecting proxy's CA), or package
# downloads inside fail verification.
mkdir -p "$partial/usr/local/share/ca-certificates"
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$partial/usr/local/share/ca-certificates/"
fi

inside() { chroot "$partial" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# The configured mirror may serve a dated snapshot whose Release file has
# expired; debootstrap accepted it, so apt inside should too.
echo 'Acquire::Check-Valid-Until "false";' >"$partial/etc/apt/apt.conf.d/99htm-snapshot"

log "installing Python 3.14 and a compiler inside"
inside apt-get update -qq >&2
inside apt-get install -y -qq --no-install-recommends \
  python3.14 python3.14-venv python3.14-dev build-essential ca-certificates >&2
inside update-ca-certificates >&2
certs=/etc/ssl/certs/ca-certificates.crt

log "installing homeassistant==$ha_version"
pin=()
if [ -f "$constraints" ]; then
  cp "$constraints" "$partial/opt/constraints.txt"
  pin=(--constraint /opt/constraints.txt)
fi
inside python3.14 -m venv "$venv"
inside SSL_CERT_FILE=$certs PIP_CERT=$certs "$venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check --upgrade pip wheel >&2
# paho-mqtt is the MQTT integration's requirement (components/mqtt/manifest.json):
# the tests set that integration up against mosquitto, and Core runs with
# --skip-pip, so it must be in the venv before the first start.
inside SSL_CERT_FILE=$certs PIP_CERT=$certs "$venv/bin/python" -m pip install \
  --disable-pip-version-check --progress-bar off "${pin[@]}" "homeassistant==$ha_version" paho-mqtt >&2

# Core installs its default integrations' requirements on the first start
# (some compile). Do that once here, so a test run never waits on it.
log "first Home Assistant start, to install its default integrations' requirements"
cp "$here/warm-up-ha.py" "$partial/opt/warm-up-ha.py"
inside SSL_CERT_FILE=$certs UV_NATIVE_TLS=1 "$venv/bin/python" /opt/warm-up-ha.py >&2

# Download caches (uv's alone is ~400 MB) are not needed to run.
inside apt-get clean
rm -rf "$partial/root/.cache" "$partial/tmp/"*

umount "$partial/proc"
mounted=()
rm -rf "$root"
mv "$partial" "$root"
touch "$stamp"
log "ready in $(($(date +%s) - started)) s, $(du -sh "$root" | cut -f1)"
echo "$root"
