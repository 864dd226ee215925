#!/usr/bin/env bash
# The training run of an AOT cache (scripts/aot-cache.sh here, image/aot.sh in the image): waits for PID to be ready,
# sends every bench body ROUNDS times and the health and metrics endpoints, then stops PID and waits for CACHE.
#   scripts/aot-train.sh PID URL CA_FILE CACHE LOG [ROUNDS]   LOG: the server's output, shown when it fails
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
pid=$1 url=$2 ca=$3 cache=$4 server_log=$5 rounds=${6:-200}
bodies=$sig_root/bench/bodies

# On failure the server goes too (KILL): no training run outlives this script.
trap 'sig::alive "$pid" && kill -9 "$pid" 2>/dev/null || true' EXIT
fail() { tail -20 "$server_log" >&2; sig::die "$*"; }

sig::wait_ready "training run" "$pid" "$server_log" "$url/q/health/ready" "$ca"

# post PATH BODY: ROUNDS requests on one connection; fails unless every answer is a 200.
post() {
  local args=() i codes
  for ((i = 0; i < rounds; i++)); do args+=(-o /dev/null "$url$1"); done
  codes=$(curl -sS --max-time 120 --cacert "$ca" -H 'Content-Type: application/json' --data-binary "@$2" \
    -w '%{http_code}\n' "${args[@]}" | sort | uniq -c | tr -s ' ')
  [ "$codes" = " $rounds 200" ] || fail "POST $1 with $(basename "$2"): HTTP$codes"
}
for body in "$bodies"/*.json; do
  post /mutate "$body"
  post /validate "$body"
done
for path in /q/health/ready /q/health/live /q/metrics; do
  curl -sSf --max-time 30 --cacert "$ca" -o /dev/null "$url$path" || fail "GET $path failed"
done

# TERM: Quarkus shuts down, and the JVM assembles the cache in a child process before it exits (120 s at most).
sig::stop_pid "$pid" "training run" 120
[ -s "$cache" ] || fail "the training run wrote no cache (its log above)"
