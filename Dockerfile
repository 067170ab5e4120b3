#
# One image for every role of the service; the role is the command:
#   node dist/src/main.js api                   the HTTP facade (port 3000), serving the internal app at /
#   node dist/src/main.js worker                the Temporal worker (workflows from dist/workflow-bundle.js)
#   node dist/src/main.js migrate               apply the Drizzle migrations, then exit
#   node dist/platform-mock/src/main.js         the stand-in platform (PLATFORM_PORT, 4010)
# Compiled JavaScript and production dependencies only: no TypeScript, tsx, PGlite or test
# packages at run time. Run it with an init process (compose: `init: true`) so SIGTERM reaches
# Node and the worker drains before it stops.
#
# Builds with BuildKit (DOCKER_BUILDKIT=1 on Docker 20.10, the default since 23) and fetches
# nothing but NODE_IMAGE from a registry (no `# syntax` line: the built-in frontend is used).
# Behind a TLS-intercepting proxy, hand npm the proxy's CA for the build only, as a secret that
# never enters a layer:
#   docker build --secret id=extra_ca,src=/path/to/ca-bundle.crt .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then `npm run build` -> dist/ (tsc, Vite, workflow bundle) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# The postinstall script patches postgres.js (see scripts/patch-postgres.mjs).
COPY scripts/patch-postgres.mjs ./scripts/
COPY web/package.json web/package-lock.json ./web/
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && npm ci \
 && npm --prefix web ci
# What the build reads, least changed first (a README or test change rebuilds nothing).
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build-web.mjs ./scripts/
COPY drizzle ./drizzle
COPY web ./web
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY platform-mock/src ./platform-mock/src
RUN npm run build

# ---- deps: production dependencies only (the postinstall patch included), trimmed of the
# Temporal bridge's binaries for other platforms (see scripts/prune-production.mjs) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
COPY scripts/patch-postgres.mjs scripts/prune-production.mjs ./scripts/
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && npm ci --omit=dev \
 && node scripts/prune-production.mjs

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
# CA roots for the Temporal SDK's native core when it connects over TLS (e.g. Temporal Cloud);
# Node's own TLS (Postgres, the platform API) uses Node's bundled store. The slim Node image
# lacks them; a base image that has them skips the install.
# hadolint ignore=DL3008
RUN if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
# Listen on all interfaces: in a container, loopback is unreachable from other containers.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PLATFORM_HOST=0.0.0.0
# Everything stays owned by root: the service user can read, not change it. package.json
# marks dist/ as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `node` (uid 1000) from the base image, by number so runAsNonRoot checks can verify it.
USER 1000:1000
EXPOSE 3000
CMD ["node", "dist/src/main.js", "api"]
