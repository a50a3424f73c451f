#!/usr/bin/with-contenv bashio
# shellcheck shell=bash
# with-contenv makes SUPERVISOR_TOKEN visible; exec hands signals to node,
# which stops within 2 s on SIGTERM and exits 0.
bashio::log.info "Starting HA Token Manager"
exec node /app/dist/main.js
