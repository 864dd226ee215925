#!/usr/bin/env bash
# make fault: the webhook under hostile clients (bench/fault-clients.py) and a dead Kubernetes API, on 127.0.0.1:
#  1. 400 slow clients hold connections while 200 real admission requests are made: every one must succeed.
#  2. a client that declares a body over the limit gets 413 before sending it.
#  3. a Kubernetes API that never answers: the webhook still becomes ready and answers from its fallbacks.
# Each check prints what it measured; the script exits non-zero on the first failed check.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sig::require_tools curl:curl python3:python3 java:openjdk-17-jdk-headless

slow_pid="" hole_pid="" first_pid=""
bench::workdir fault
trap 'sig::stop_pid "$slow_pid" slow-clients; sig::stop_pid "$hole_pid" black-hole; sig::stop_pid "$first_pid" webhook
  sig::stop_pid "$sig_webhook_pid" webhook-2; rm -rf "$work"' EXIT
sig::free_port port
bench::start_webhook "$port" "$work/webhook.log"
first_pid=$sig_webhook_pid
body=$sig_root/bench/bodies/service-mutate.json
post() { # post URL BODY: prints the HTTP status and the time in ms
  curl -s -o "$work/answer.json" -w '%{http_code} %{time_total}\n' --max-time 10 --cacert "$work/certs/ca.crt" \
    -H 'Content-Type: application/json' --data-binary "@$2" "$1"
}

# --- 1. slow clients ---------------------------------------------------------------------------
python3 "$sig_root/bench/fault-clients.py" slow "$port" "$work/certs/ca.crt" >"$work/slow.log" 2>&1 &
slow_pid=$!
sig::wait_for slow-clients "$slow_pid" "$work/slow.log" 30 grep -q holding "$work/slow.log"
ok=0 worst=0
for _ in $(seq 1 200); do
  read -r status secs < <(post "https://127.0.0.1:$port/mutate" "$body")
  ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
  ((ms > worst)) && worst=$ms
  [[ $status == 200 ]] && ok=$((ok + 1))
done
echo "1. with 400 slow connections held: $ok of 200 admission requests answered 200, slowest ${worst} ms (new TLS connection each)"
((ok == 200)) || sig::die "requests failed while slow clients held connections"
wait "$slow_pid" || true
slow_pid=""
sed 's/^/   /' "$work/slow.log"

# --- 2. a declared body over the limit -----------------------------------------------------------
status=$(python3 "$sig_root/bench/fault-clients.py" oversized "$port" "$work/certs/ca.crt")
echo "2. a 1 GiB Content-Length, one byte sent: $status"
[[ $status == *413* ]] || sig::die "expected 413"

# --- 3. a Kubernetes API that never answers ------------------------------------------------------
sig::free_port hole
python3 "$sig_root/bench/fault-clients.py" black-hole "$hole" >/dev/null 2>&1 &
hole_pid=$!
sig::free_port port2
sig::start_webhook "$port2" "$work/certs" "$work/webhook-2.log" \
  -Dquarkus.kubernetes-client.api-server-url="https://127.0.0.1:$hole" -Dquarkus.kubernetes-client.trust-certs=true
sig::wait_ready webhook-2 "$sig_webhook_pid" "$work/webhook-2.log" "https://127.0.0.1:$port2/q/health/ready" "$work/certs/ca.crt"
ready_ms=$((($(bench::now_ns) - sig_webhook_start_ns) / 1000000))
read -r status secs < <(post "https://127.0.0.1:$port2/validate" "$sig_root/bench/bodies/masq-allowed.json")
echo "3. API server silent: ready after ${ready_ms} ms; a masq review answered $status in $(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }') ms"
[[ $status == 200 ]] || sig::die "expected 200"
grep -q "could not be read" "$work/answer.json" || sig::die "expected the fallback warning in: $(cat "$work/answer.json")"
echo "   with the warning: $(grep -o 'sibling ip-masq-agent configs could not be read[^"]*' "$work/answer.json")"
echo "all fault checks passed"
