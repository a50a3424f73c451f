ARG BUILD_FROM=ghcr.io/home-assistant/base:3.24

# Build stage: compile TypeScript with the dev dependencies.
FROM ${BUILD_FROM} AS build
RUN apk add --no-cache nodejs npm
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run stage: the built program and its production dependencies only.
FROM ${BUILD_FROM}
ARG BUILD_ARCH
ARG BUILD_VERSION=0.1.0
RUN apk add --no-cache nodejs
WORKDIR /app
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY package.json ./
COPY run.sh /run.sh
RUN chmod a+x /run.sh

LABEL \
  io.hass.name="HA Token Manager" \
  io.hass.description="Keeps the Home Assistant tokens outside systems depend on valid, fresh and visible" \
  io.hass.type="addon" \
  io.hass.arch="${BUILD_ARCH}" \
  io.hass.version="${BUILD_VERSION}"

CMD ["/run.sh"]
