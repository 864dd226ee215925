#!/usr/bin/env bash
# Makes sure the tools the build needs are on this machine, installing Debian packages when
# they are missing (as root) or saying exactly what to install (otherwise).
#   scripts/require-tools.sh build   java 17+ and maven
#   scripts/require-tools.sh e2e     also openssl, curl and Go 1.26+, which builds kube-apiserver, kubectl and etcd
#                                    (scripts/kube-build.sh, e2e/README.md)
#   scripts/require-tools.sh failover  also haproxy, the load balancer in front of two replicas (e2e/failover.sh)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what=${1:-build}

tools=(mvn:maven)
# Java 17 or later: an older java counts as missing (java-17 is no command, so its package is installed).
java_major=$(sig::java_major java)
((${java_major:-0} >= 17)) || tools+=(java-17:openjdk-17-jdk-headless)
if [[ $what == e2e || $what == failover ]]; then
  tools+=(openssl:openssl curl:curl)
  # Debian's golang-go is too old for Kubernetes 1.37 (its go.mod says go 1.26.0), so Go is not installed from a
  # package: it has to be on PATH or at /usr/local/go, where Go's own installation instructions put it.
  go=$(PATH=$PATH:/usr/local/go/bin go env GOVERSION 2>/dev/null || echo none)
  go_minor=$(echo "$go" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  ((${go_minor:-0} >= 26)) || sig::die "scripts/kube-build.sh needs Go 1.26 or later (found: $go);" \
    "install it as https://go.dev/doc/install says (into /usr/local/go, or anywhere on PATH)"
fi
[[ $what != failover ]] || tools+=(haproxy:haproxy)
sig::require_tools "${tools[@]}"
