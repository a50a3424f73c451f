#!/usr/bin/env bash
# Installs the moto SSM emulator and Home Assistant Core 2024.3.3 — the oldest
# release the add-on supports, which the compatibility tests run against —
# into one virtualenv cached outside the clone, so a fresh clone on the same
# machine reuses it. Prints the venv's path last. (The current release, which
# needs Python 3.14, comes from scripts/ha-root.sh.)
#
# The Home Assistant release follows the Python found: 2024.3.3 is the newest
# that runs on 3.11 (2024.4 needs 3.12), 2025.1.4 the newest on 3.12; the
# compatibility tests expect 3.11 (Debian bookworm's python3).
set -euo pipefail

python=${PYTHON:-python3}
moto_version=5.1.22

py_version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
case "$py_version" in
  3.11) ha_version=2024.3.3 ;;
  3.12) ha_version=2025.1.4 ;;
  3.13 | 3.14) ha_version=2025.11.3 ;;
  *)
    echo "python-env: Python $py_version is not supported; install Python 3.11 or newer, or set PYTHON" >&2
    exit 1
    ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
# A full freeze of a venv known to work: the releases above do not pin all of
# their dependencies, and newer ones break them (josepy 2 breaks acme 2.8).
constraints="$here/constraints-py$py_version.txt"
pin=()
lock=none
if [ -f "$constraints" ]; then
  pin=(--constraint "$constraints")
  lock=$(sha256sum "$constraints" | cut -c1-8)
fi

cache=${HTM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-token-manager}
venv="$cache/venv-py$py_version-ha$ha_version-moto$moto_version-$lock"
stamp="$venv/.complete"

if [ -f "$stamp" ]; then
  echo "$venv"
  exit 0
fi

log() { echo "python-env: $*" >&2; }
started=$(date +%s)
mkdir -p "$cache"
rm -rf "$venv"
log "creating virtualenv $venv (first use only; later runs reuse it)"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip wheel >&2
log "installing homeassistant==$ha_version and moto[server]==$moto_version (a few minutes)"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${pin[@]}" \
  "homeassistant==$ha_version" "moto[server]==$moto_version" >&2

# Core installs the requirements of its default integrations (frontend, …) on
# its first start. Do that once here, so a test run never waits on pip.
log "first Home Assistant start, to install its default integrations' requirements"
"$venv/bin/python" "$here/warm-up-ha.py" >&2

touch "$stamp"
log "ready in $(($(date +%s) - started)) s"
echo "$venv"
