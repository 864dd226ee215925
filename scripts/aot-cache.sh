#!/usr/bin/env bash
# Writes target/quarkus-app/app.aot, the AOT cache of the packaged webhook (JDK 25 or later: JEP 483, 514
# and 515): one training run of the server, with the options of src/main/jvm/server.options, cluster access
# off, on 127.0.0.1, answering scripts/aot-train.sh; at its exit the JVM writes the classes it loaded and
# linked, and the profiles of the methods it ran. `java -XX:AOTCache=target/quarkus-app/app.aot` then starts
# from there (make run, the bench scripts). The cache is only valid for the JVM that wrote it and for these
# exact jars: a rebuild makes a new one (make aot). With a JDK older than 25 it removes a stale cache, says
# so and succeeds: the webhook then runs without one.
#
#   scripts/aot-cache.sh [JAVA]      JAVA: the java command, default scripts/find-java.sh
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
