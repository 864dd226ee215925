#!/usr/bin/env bash
# make aot: target/quarkus-app/app.aot, the JDK 25+ AOT cache of the packaged webhook, from one training run of the
# server (scripts/aot-train.sh); with an older JDK it removes a stale cache and succeeds (README.md, image/README.md).
#   scripts/aot-cache.sh [JAVA]   JAVA: the java command, default scripts/find-java.sh
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
sig_java=${1:-}
sig::use_app target/quarkus-app
sig_aot=() # the cache is what this run writes, not what it reads
out=target/quarkus-app/app.aot

major=$(sig::java_major "$sig_java")
if [ -z "$major" ] || [ "$major" -lt 25 ]; then
  rm -f "$out"
  sig::log "$sig_java is Java ${major:-?}: an AOT cache needs 25 or later; the webhook runs without one"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-aot.XXXXXX")
trap 'rm -rf "$work"' EXIT   # scripts/aot-train.sh stops the server, also when it fails

sig::make_certs "$work/certs" 2>/dev/null
sig::free_port port
started=$(date +%s)
sig::start_webhook "$port" "$work/certs" "$work/train.log" \
  -Dsourceip-guard.cluster.enabled=false -XX:AOTCacheOutput="$work/app.aot"
scripts/aot-train.sh "$sig_webhook_pid" "https://127.0.0.1:$port" "$work/certs/ca.crt" "$work/app.aot" "$work/train.log"
wait "$sig_webhook_pid" 2>/dev/null || true
mv "$work/app.aot" "$out"
sig::log "wrote $out ($(du -m "$out" | cut -f1) MiB, $("$sig_java" -version 2>&1 | sed -n 2p)) in $(( $(date +%s) - started )) s"
