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
java=${1:-$(scripts/find-java.sh)}
app=target/quarkus-app
out=$app/app.aot

log() { echo "aot-cache: $*" >&2; }
die() { log "$*"; exit 1; }

[ -s "$app/quarkus-run.jar" ] || die "no $app/quarkus-run.jar: run make build first"
major=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$major" ] || [ "$major" -lt 25 ]; then
  rm -f "$out"
  log "$java is Java ${major:-?}: an AOT cache needs 25 or later; the webhook runs without one"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-aot.XXXXXX")
trap 'rm -rf "$work"' EXIT   # scripts/aot-train.sh stops the server, also when it fails

"$java" -jar "$app/quarkus-run.jar" certs --dir "$work/certs" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)
started=$(date +%s)
SOURCEIP_GUARD_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 SOURCEIP_GUARD_CLUSTER_ENABLED=false \
  SOURCEIP_GUARD_TLS_CERT_FILE="$work/certs/tls.crt" SOURCEIP_GUARD_TLS_KEY_FILE="$work/certs/tls.key" \
  "$java" @src/main/jvm/server.options -XX:AOTCacheOutput="$work/app.aot" -jar "$app/quarkus-run.jar" \
  >"$work/train.log" 2>&1 &
server=$!
scripts/aot-train.sh "$server" "https://127.0.0.1:$port" "$work/certs/ca.crt" "$work/app.aot" "$work/train.log"
wait "$server" 2>/dev/null || true
mv "$work/app.aot" "$out"
log "wrote $out ($(du -m "$out" | cut -f1) MiB, $("$java" -version 2>&1 | sed -n 2p)) in $(( $(date +%s) - started )) s"
