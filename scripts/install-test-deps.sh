#!/usr/bin/env bash
# Installs the real parts the end-to-end tests run against: the CNCF Distribution
# registry as upstream, skopeo and podman as clients, and the PostgreSQL server the
# shared-store tests start a private cluster of. Idempotent.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v podman >/dev/null || need+=(podman)
# Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<version>/bin.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || command -v initdb >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends docker-registry skopeo podman uidmap fuse-overlayfs ca-certificates postgresql
fi

docker-registry --version 2>/dev/null || true
skopeo --version
podman --version
if [ -n "$(pg_bin)" ]; then "$(pg_bin)/postgres" --version; else postgres --version; fi
