#!/usr/bin/env bash
# make fault: the webhook under hostile clients and a dead Kubernetes API, on 127.0.0.1 only.
#  1. 400 slow clients hold connections (200 silent before the TLS handshake, 200 trickling a header
#     a byte at a time) while 200 real admission requests are made: every one must succeed.
#  2. a client that declares a body over the limit gets 413 before sending it.
#  3. a Kubernetes API that accepts connections and never answers: the webhook still becomes ready
#     and answers admissions from its fallbacks.
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
python3 - "$port" "$work/certs/ca.crt" >"$work/slow.log" 2>&1 <<'PY' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
held = []
for _ in range(200):                        # silent: TCP connected, no TLS handshake
    held.append(socket.create_connection(("127.0.0.1", port)))
ctx = ssl.create_default_context(cafile=ca)
trickling = []
for _ in range(200):                        # TLS up, then a request header one byte at a time
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    trickling.append(s)
print("holding", len(held) + len(trickling), flush=True)
header = b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
deadline = time.time() + 40
i = 0
while time.time() < deadline:
    for s in list(trickling):
        try:
            s.send(header[i % len(header):i % len(header) + 1])
        except OSError:
            trickling.remove(s)
    i += 1
    time.sleep(0.5)
closed = 0
for s in held:
    try:
        s.settimeout(0.01)
        if s.recv(1) == b"":
            closed += 1
    except socket.timeout:
        pass
    except OSError:
        closed += 1
print("silent connections closed by the server after 40 s:", closed, "of", len(held), flush=True)
print("trickling connections closed by the server after 40 s:", 200 - len(trickling), "of 200", flush=True)
PY
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
status=$(python3 - "$port" "$work/certs/ca.crt" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
s.settimeout(5)
s.send(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{")
print(s.recv(200).split(b"\r\n")[0].decode())
PY
)
echo "2. a 1 GiB Content-Length, one byte sent: $status"
[[ $status == *413* ]] || sig::die "expected 413"

# --- 3. a Kubernetes API that never answers ------------------------------------------------------
sig::free_port hole
python3 - "$hole" <<'PY' >/dev/null 2>&1 &
import socket, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(64)
held = []
end = time.time() + 120
srv.settimeout(1)
while time.time() < end:
    try:
        held.append(srv.accept()[0])        # accept, then never read or write
    except socket.timeout:
        pass
PY
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
