# syntax=docker/dockerfile:1
# One image recipe for every service; SERVICE picks which one the image runs:
#   docker build --build-arg SERVICE=ingest -t iot-pipeline/ingest:0.1.0 .
# SERVICE: ingest | aggregator | writer | checkpointer
# The image runs the compiled service (`npm run build`: services/<service>/dist/main.js, one
# ES module with the @iot/* libraries bundled in) with production dependencies only: no tsx,
# TypeScript, esbuild or ESLint, and no second Node (the `node` dev dependency). `iotctl` is on
# PATH for `kubectl exec`. Non-root, and it writes nothing outside /tmp, so the root filesystem
# can be read-only.

# Only the package manifests, so the npm ci layers below are reused until dependencies change.
FROM node:24-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find libs services tools -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# Compiles every service and iotctl (the same layers for all four images).
FROM node:24-slim AS build
WORKDIR /src
COPY --from=manifests /manifests/ ./
# Dev dependencies for the build (esbuild, tsx). --ignore-scripts: the `node` dev dependency's
# install script would download a second Node; this image's Node 24 runs the build, and
# esbuild's binary comes from its platform package without a script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY libs/ libs/
COPY services/ services/
COPY tools/ tools/
RUN node --import tsx tools/build/src/main.ts

# Names the wrong SERVICE before the runtime stage's COPY fails with a bare "not found".
FROM build AS check
ARG SERVICE
RUN test -f "services/${SERVICE}/dist/main.js" \
 || { echo "build with --build-arg SERVICE=<ingest|aggregator|writer|checkpointer>, not '${SERVICE}'" >&2; exit 1; }

# Production dependencies only. None has an install script; the workspace links go, since the
# bundles carry the workspace code.
FROM node:24-slim AS prod-deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@iot node_modules/.bin

FROM node:24-slim AS runtime
ARG SERVICE
# A 160 MB old space keeps each service under 256 MB RSS (README, Benchmarks: V8's default
# sizing lets the heap grow far past the live data before collecting). With the old space
# capped, V8 also shrinks the young generation to a few MB and the services spend a quarter
# of their CPU collecting; a 16 MB semi-space gives that back (README, Benchmarks).
# Add --enable-source-maps to NODE_OPTIONS for stack traces in the TypeScript sources
# (dist/main.js.map); it is off because it makes every stack trace formatted slower.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16" \
    SERVICE=${SERVICE}
WORKDIR /app
# The package.json files give dist/*.js their "type": "module".
COPY --from=manifests /manifests/ ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=check /src/services/${SERVICE}/dist services/${SERVICE}/dist
COPY --from=check /src/tools/iotctl/bin tools/iotctl/bin
COPY --from=check /src/tools/iotctl/dist tools/iotctl/dist
# Without src/, the iotctl command runs the compiled dist/main.js.
RUN ln -s /app/tools/iotctl/bin/iotctl.js /usr/local/bin/iotctl
# The node user of the base image, by number so the kubelet can check runAsNonRoot. Files
# stay root-owned and read-only to the process.
USER 1000:1000
WORKDIR /app/services/${SERVICE}
# node as PID 1, so SIGTERM reaches the service's own shutdown.
CMD ["node", "dist/main.js"]
