#!/usr/bin/env bash
# Debian's shellcheck, installed when missing; prints its path last.
set -euo pipefail
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck: installing Debian's shellcheck package (first use only)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends shellcheck >&2
fi
command -v shellcheck
