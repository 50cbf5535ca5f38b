#!/usr/bin/env bash
# Local stand-ins for the official node, nats and redis images, built from Debian packages, for
# machines whose Docker engine cannot pull from Docker Hub. One `debootstrap --variant=minbase`
# root file system (about 25 s) is imported once; the three images are thin layers on it:
#
#   canopy-local/debian:bookworm   minbase + ca-certificates, wget, nats-server, redis-server
#   canopy-local/node:20           + this host's node binary and npm, user `node` (uid 1000)
#   canopy-local/nats:2            entrypoint nats-server (flags-only commands work, as official)
#   canopy-local/redis:7           redis-server with protected mode off (as the official image)
#
# Then: NODE_IMAGE=canopy-local/node:20 NATS_IMAGE=canopy-local/nats:2 REDIS_IMAGE=canopy-local/redis:7
# (docker-compose.yml and deploy/docker/Dockerfile read them; docs/deployment.md).
#
# Usage: sudo scripts/docker-base-images.sh [--force]   (root: debootstrap needs it)
# An image that already exists is kept unless --force is given, so reruns cost nothing.
set -euo pipefail

FORCE=${1:-}
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PREFIX=${CANOPY_LOCAL_IMAGE_PREFIX:-canopy-local}
NODE_BIN=$(command -v node)
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")

have() { [ "$FORCE" != "--force" ] && docker image inspect "$1" > /dev/null 2>&1; }

if ! have "$PREFIX/debian:$SUITE"; then
  command -v debootstrap > /dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 2; }
  ROOTFS=$(mktemp -d)
  trap 'rm -rf "$ROOTFS"' EXIT
  debootstrap --variant=minbase --include=ca-certificates,wget,nats-server,redis-server \
    "$SUITE" "$ROOTFS" "$MIRROR"
  # The packages' own services are not started in a container; their caches only weigh.
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  tar -C "$ROOTFS" -c . | docker import - "$PREFIX/debian:$SUITE"
  rm -rf "$ROOTFS"
  trap - EXIT
fi

build() { # build <tag> <context dir>; the Dockerfile comes on stdin
  if have "$1"; then echo "$1 exists"; return; fi
  docker build -t "$1" -f - "$2"
}

CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
cp "$NODE_BIN" "$CTX/node"
cp -a "$NPM_DIR" "$CTX/npm"
build "$PREFIX/node:20" "$CTX" << EOF
FROM $PREFIX/debian:$SUITE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node
CMD ["node"]
EOF

EMPTY=$(mktemp -d)
build "$PREFIX/nats:2" "$EMPTY" << EOF
FROM $PREFIX/debian:$SUITE
# Like the official image's entrypoint: a command of flags is given to nats-server.
RUN printf '#!/bin/sh\ncase "\$1" in -*) set -- nats-server "\$@";; esac\nexec "\$@"\n' > /entrypoint.sh \
 && chmod +x /entrypoint.sh
EXPOSE 4222 8222
ENTRYPOINT ["/entrypoint.sh"]
CMD ["nats-server", "-js"]
EOF

build "$PREFIX/redis:7" "$EMPTY" << EOF
FROM $PREFIX/debian:$SUITE
# The official image is built with protected mode off (its users connect from other containers);
# Debian's binary has it on, so it is turned off on the command line.
RUN printf '#!/bin/sh\ncase "\$1" in redis-server) exec "\$@" --protected-mode no;; esac\nexec "\$@"\n' > /entrypoint.sh \
 && chmod +x /entrypoint.sh && mkdir -p /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/entrypoint.sh"]
CMD ["redis-server"]
EOF
rmdir "$EMPTY"
docker image ls "$PREFIX/*"
