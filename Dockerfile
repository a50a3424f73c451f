# The base image is named here and BUILD_FROM is not used, so every Supervisor
# builds the same Alpine 3.24 (and the apk pins below resolve):
# - before 2026.04, an add-on without build.yaml is built with
#   --build-arg BUILD_FROM=ghcr.io/home-assistant/{arch}-base:latest
#   (supervisor/addons/build.py, AddonBuild.base_image and get_docker_args,
#   tag 2026.03.3), which would override an `ARG BUILD_FROM=` default;
# - from 2026.04 on, build.yaml is deprecated and, without it, no BUILD_FROM is
#   passed at all (supervisor/apps/build.py, AppBuild._read_build_config and
#   get_docker_args, tag 2026.08.0).
# The image is multi-arch; both pass `docker buildx build --platform` for the
# machine's architecture.
#
# Package pins: Alpine 3.24 ships nodejs 24.22.x (main) and npm 11.12.x
# (community). A stable branch replaces a package when it updates it, so the
# pins name the major version (`~24`), which every 3.24 update keeps.

# Build stage: compile TypeScript with the dev dependencies. Optional
# dependencies stay out: they are the Node.js binaries the tests run the
# add-on on (node-linux-*), and the image runs Alpine's Node.js instead.
FROM ghcr.io/home-assistant/base:3.24 AS build
RUN apk add --no-cache nodejs=~24 npm=~11
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --omit=optional
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Type declarations (mqtt lists @types/* as dependencies) and mqtt.js's
# browser bundles (dist/; Node loads build/) are never loaded at run time.
RUN npm run build && npm prune --omit=dev --omit=optional && rm -rf node_modules/@types node_modules/mqtt/dist

# Run stage: the built program and its production dependencies only.
FROM ghcr.io/home-assistant/base:3.24
ARG BUILD_ARCH
ARG BUILD_VERSION=0.1.0
RUN apk add --no-cache nodejs=~24
WORKDIR /app
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY package.json ./
COPY run.sh /run.sh
RUN chmod a+x /run.sh

# The Supervisor's watchdog restarts the add-on when Docker reports it
# unhealthy (supervisor/apps/app.py, watchdog_container); this replaces
# config.yaml's `watchdog:` URL. Docker runs the check inside the container,
# so it comes from 127.0.0.1, which the ingress guard lets reach /health and
# nothing else. curl is part of the base image (bashio uses it). Any non-zero
# exit counts as a failed check (moby daemon/health.go, handleProbeResult).
# /health stays 200 while the token is rejected: a restart would not fix that.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--output", "/dev/null", "--max-time", "4", "http://127.0.0.1:8099/health"]

LABEL \
  io.hass.name="HA Token Manager" \
  io.hass.description="Keeps the Home Assistant tokens outside systems depend on valid, fresh and visible" \
  io.hass.type="addon" \
  io.hass.arch="${BUILD_ARCH}" \
  io.hass.version="${BUILD_VERSION}" \
  org.opencontainers.image.title="HA Token Manager"

CMD ["/run.sh"]
