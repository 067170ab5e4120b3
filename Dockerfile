# syntax=docker/dockerfile:1
#
# One image for every role of the service; the role is the command:
#   node --import tsx src/main.ts api        the HTTP facade (port 3000)
#   node --import tsx src/main.ts worker     the Temporal worker
#   node --import tsx src/main.ts migrate    apply the Drizzle migrations, then exit
#                                            (`npm run db:migrate` does the same)
#   node --import tsx platform-mock/src/main.ts   the stand-in platform (PLATFORM_PORT, 4010)
# TypeScript runs through tsx, a runtime dependency, so there is no compile step.
# Run it with an init process (compose: `init: true`) so SIGTERM reaches Node and the worker
# drains before it stops.

ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only. tsx is in `dependencies`, so `--omit=dev` keeps it; the dev
# tools (eslint, typescript, vitest, drizzle-kit) stay out of the image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# The postinstall script patches postgres.js (see scripts/patch-postgres.mjs).
COPY scripts/patch-postgres.mjs ./scripts/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev

FROM ${NODE_IMAGE} AS runtime
# CA roots for the Temporal SDK's native core when it connects over TLS (e.g. Temporal Cloud);
# Node's own TLS (Postgres, the platform API) uses Node's bundled store.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Listen on all interfaces: in a container, loopback is unreachable from other containers.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PLATFORM_HOST=0.0.0.0
# The code and its dependencies stay owned by root: the service user can read, not change them.
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# `node` (uid 1000) from the base image, by number so runAsNonRoot checks can verify it.
USER 1000:1000
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts", "api"]
