#!/usr/bin/env bash
# Debian's mosquitto, the MQTT broker the tests set Home Assistant's MQTT
# integration up against (as the Supervisor's Mosquitto add-on would be).
# Installs the package when it is missing and prints the broker's path last.
set -euo pipefail
broker=${MOSQUITTO:-/usr/sbin/mosquitto}
if [ ! -x "$broker" ] || ! command -v mosquitto_passwd >/dev/null; then
  echo "mosquitto: installing Debian's mosquitto package (first use only)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mosquitto >&2
  # The package starts a broker on port 1883 for all addresses; the tests start their own on loopback.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
fi
echo "$broker"
