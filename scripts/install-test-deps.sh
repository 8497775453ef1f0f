#!/usr/bin/env bash
# Installs the real parts the end-to-end tests run against: the CNCF Distribution
# registry as upstream, skopeo and podman as clients, the PostgreSQL server the
# shared-store tests start a private cluster of, runc to run the published image
# (Debian's crun refuses hosts whose cgroup v2 hierarchy holds controllers while v1 ones
# are mounted), kubectl to build the Kubernetes manifests offline, Chromium to load the web
# pages headless (driven by playwright-core from npm, as locked in tests/browser), containerd (with ctr) to pull through the proxy as a mirror, Node.js with
# sigstore-js (the versions pinned in tests/sigstore-js/package-lock.json) to verify published
# bundles as a stock Sigstore client does, and OpenSSL, whose `openssl ts -reply` is the
# independent RFC 3161 timestamp authority the timestamp tests ask. Idempotent: installs only
# what is missing (as root; otherwise it stops with the list and the command to run).
# scripts/test.sh runs it first.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v podman >/dev/null || need+=(podman)
# Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<version>/bin.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || command -v initdb >/dev/null || need+=(postgresql)
[ -x /usr/sbin/runc ] || command -v runc >/dev/null || need+=(runc)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v containerd >/dev/null && command -v ctr >/dev/null || need+=(containerd)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    # Stop before building anything: the end-to-end tests would only fail one by one.
    echo "the tests need Debian packages that are missing: ${need[*]}" >&2
    echo "install them as root, then run the tests again:" >&2
    echo "  sudo bash scripts/install-test-deps.sh" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}" uidmap fuse-overlayfs ca-certificates
fi

# sigstore-js into the test tree, from npm, exactly as locked; skipped when what is installed
# (npm's record in node_modules) already has every locked package at its locked version.
js="$(cd "$(dirname "$0")/.." && pwd)/tests/sigstore-js"
installed_as_locked() {
  # Each locked package's own package.json, not npm's record of them, which can run ahead.
  node -e '
    const fs = require("fs"), path = require("path");
    const dir = path.resolve(process.argv[1]);
    const locked = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"))).packages;
    for (const k in locked) {
      if (!k) continue;
      let version;
      try { version = JSON.parse(fs.readFileSync(path.join(dir, k, "package.json"))).version; } catch { process.exit(1); }
      if (version !== locked[k].version) process.exit(1);
    }
  ' "$1"
}
installed_as_locked "$js" || npm ci --prefix "$js" --no-audit --no-fund --loglevel=error
# playwright-core, the same way, to drive the Debian Chromium above (it never downloads a browser).
browser="$(dirname "$js")/browser"
installed_as_locked "$browser" || npm ci --prefix "$browser" --no-audit --no-fund --loglevel=error

docker-registry --version 2>/dev/null || true
skopeo --version
podman --version
if [ -n "$(pg_bin)" ]; then "$(pg_bin)/postgres" --version; else postgres --version; fi
"$(command -v runc || echo /usr/sbin/runc)" --version | head -n 1
kubectl version --client 2>/dev/null | head -n 1 || true
containerd --version
/usr/bin/chromium --version 2>/dev/null || true
echo "node $(node --version), @sigstore/verify $(node -p 'require(process.argv[1]).version' "$js/node_modules/@sigstore/verify/package.json"), playwright-core $(node -p 'require(process.argv[1]).version' "$browser/node_modules/playwright-core/package.json")"
openssl version
command -v terraform >/dev/null && TF_CLI_CONFIG_FILE=/dev/null terraform version | head -n 1 || echo "terraform: not installed (the Terraform format check is skipped)"
