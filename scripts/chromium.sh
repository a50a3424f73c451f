#!/usr/bin/env bash
# Debian's Chromium for the browser tests (playwright-core drives it; no
# browser download of its own). Installs the package when it is missing and
# prints the executable's path last.
set -euo pipefail
browser=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$browser" ]; then
  echo "chromium: installing Debian's chromium package (first use only)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
fi
echo "$browser"
