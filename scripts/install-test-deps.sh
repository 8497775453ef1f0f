#!/usr/bin/env bash
# Installs the real parts the end-to-end tests run against: the CNCF Distribution
# registry as upstream, and skopeo and podman as clients. Idempotent.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v podman >/dev/null || need+=(podman)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends docker-registry skopeo podman uidmap fuse-overlayfs ca-certificates
fi

docker-registry --version 2>/dev/null || true
skopeo --version
podman --version
