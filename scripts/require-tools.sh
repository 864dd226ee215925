#!/usr/bin/env bash
# Makes sure the tools the build needs are on this machine, installing Debian packages when
# they are missing (as root) or saying exactly what to install (otherwise).
#   scripts/require-tools.sh build   java 17+ and maven
#   scripts/require-tools.sh e2e     also openssl, curl and Go 1.26+, which builds kube-apiserver, kubectl and etcd
#                                    (scripts/kube-build.sh, e2e/README.md)
#   scripts/require-tools.sh failover  also haproxy, the load balancer in front of two replicas (e2e/failover.sh)
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

if ! have java || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need+=(openjdk-17-jdk-headless); fi
if ! have mvn; then need+=(maven); fi
if [ "${1:-build}" = e2e ] || [ "${1:-build}" = failover ]; then
  have openssl || need+=(openssl)
  have curl || need+=(curl)
fi
if [ "${1:-build}" = failover ]; then
  have haproxy || need+=(haproxy)
fi
# Debian's golang-go is too old for Kubernetes 1.37 (its go.mod says go 1.26.0), so Go is not installed from a
# package: it has to be on PATH or at /usr/local/go, where Go's own installation instructions put it.
if [ "${1:-build}" = e2e ] || [ "${1:-build}" = failover ]; then
  go=$(PATH=$PATH:/usr/local/go/bin go env GOVERSION 2>/dev/null || echo none)
  go_minor=$(echo "$go" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
fi
if { [ "${1:-build}" = e2e ] || [ "${1:-build}" = failover ]; } && ! [ "${go_minor:-0}" -ge 26 ]; then
  echo "scripts/kube-build.sh needs Go 1.26 or later (found: $go);" \
    "install it as https://go.dev/doc/install says (into /usr/local/go, or anywhere on PATH)" >&2
  exit 1
fi

if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing tools; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
