#!/usr/bin/env bash
# Makes sure the tools the build needs are on this machine, installing Debian packages when
# they are missing (as root) or saying exactly what to install (otherwise).
#   scripts/require-tools.sh build   java 17+ and maven
#   scripts/require-tools.sh e2e     also etcd, go, rsync, dpkg-dev, openssl, kubectl (see e2e/README.md)
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

if ! have java || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need+=(openjdk-17-jdk-headless); fi
if ! have mvn; then need+=(maven); fi
if [ "${1:-build}" = e2e ]; then
  have openssl || need+=(openssl)
  have curl || need+=(curl)
  have kubectl || need+=(kubernetes-client)
fi

if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing tools; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
