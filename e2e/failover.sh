#!/usr/bin/env bash
# make e2e-failover: two self-managed replicas behind haproxy under a fixed rate of writes, through a renewal race, a
# killed Lease holder and a roll; fails on any lost write (e2e/README.md; figures: docs/benchmarks.md, "Failover").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH=$("$root/scripts/kube-build.sh"):$PATH
dir=${E2E_DIR:-$root/target/e2e/failover}
rate=${E2E_FAILOVER_RATE:-20}
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"

# On any exit the load stops too (failover-load.py ends when load.stop exists), then the stack.
trap 'touch "$dir/load.stop" 2>/dev/null || true; "$root/e2e/stack.sh" down "$dir" >/dev/null 2>&1 || true' EXIT
# Self-managed TLS, as k8s/base runs it, the Secret checked every second.
export E2E_WEBHOOK_OPTS="-Dsourceip-guard.tls.self-managed=true -Dsourceip-guard.tls.check-interval=1s ${E2E_WEBHOOK_OPTS:-}"
"$root/e2e/stack.sh" up "$dir"
export KUBECONFIG=$dir/kubeconfig
"$root/e2e/stack.sh" replica "$dir" webhook-b
mv "$dir/webhook.pid" "$dir/webhook-a.pid"
mv "$dir/webhook.port" "$dir/webhook-a.port"
mv "$dir/webhook.log" "$dir/webhook-a.log"

sig::free_port lb_port
cp "$root/e2e/failover-haproxy.cfg" "$dir/haproxy.cfg" # in DIR: its command line names DIR, so cluster.sh stop stops it
FAILOVER_DIR=$dir LB_PORT=$lb_port PORT_A=$(<"$dir/webhook-a.port") PORT_B=$(<"$dir/webhook-b.port") \
  sig::launch "$dir" haproxy haproxy -db -f "$dir/haproxy.cfg"
"$root/e2e/stack.sh" register "$dir" "$lb_port"

# server_state NAME: UP or DOWN (or MAINT...) as haproxy sees it
server_state() {
  python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect('$dir/haproxy.sock'); s.sendall(b'show stat\n')
data = b''
while chunk := s.recv(65536): data += chunk
for line in data.decode().splitlines():
    f = line.split(',')
    if len(f) > 17 and f[0] == 'replicas' and f[1] == '$1': print(f[17].split()[0])"
}
is_state() { [[ $(server_state "$1") == "$2" ]]; }
eventually 30 is_state webhook-a UP >/dev/null
eventually 30 is_state webhook-b UP >/dev/null

ns=$(new_namespace failover)
grep -oE '[0-9.]+/[0-9]+$' "$root/src/test/resources/fixtures/ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml" >"$dir/complete-list.txt"
kubectl create configmap azure-ip-masq-agent-config -n kube-system \
  --from-literal=ip-masq-agent="$(printf 'nonMasqueradeCIDRs: [%s]\nmasqLinkLocal: true' "$(paste -sd, "$dir/complete-list.txt" | sed 's/,/, /g')")" >/dev/null

for i in $(seq 0 29); do
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: web-%s, namespace: %s}\nspec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}\n---\n' "$i" "$ns"
done | kubectl apply -f - >/dev/null

# For the renewal: a serving certificate of the stack's CA valid for one day, inside tls.renew-before (10 days),
# and hold-webhook.py, which holds the replicas' writes of the Secret until both have arrived.
mkdir -p "$dir/due"
cp "$dir/webhook-certs/ca.crt" "$dir/webhook-certs/ca.key" "$dir/due/"
sig::use_app "$root/target/quarkus-app"
"$sig_java" -jar "$sig_jar" certs --dir "$dir/due" --days 1 >/dev/null
sig::free_port hold_port
rm -f "$dir/hold.out"
sig::launch "$dir" hold python3 "$root/e2e/hold-webhook.py" "$dir/webhook-certs/tls.crt" "$dir/webhook-certs/tls.key" \
  "$hold_port" system:serviceaccount:sourceip-guard:sourceip-guard 2 "$dir/hold.out"
kubectl create --dry-run=client -o json -f "$root/e2e/hold-webhook.yaml" |
  python3 "$root/e2e/point-webhooks.py" "https://127.0.0.1:$hold_port" "$(base64 -w0 <"$dir/webhook-certs/ca.crt")" |
  kubectl apply -f - >/dev/null
# The API server calls it once it has read the configuration; an admin's write (passed at once) shows when.
hold_active() {
  kubectl annotate secret sourceip-guard-tls -n sourceip-guard e2e.sourceip-guard.io/touched="$RANDOM" --overwrite >/dev/null
  grep -q ' passed ' "$dir/hold.out"
}
eventually 30 hold_active >/dev/null

rm -f "$dir/load.stop" "$dir/load.out" "$dir/phases"
phase() { printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$dir/phases"; sig::log "phase $1"; }
python3 "$root/e2e/failover-load.py" run "$dir" "$ns" "$rate" "$dir/load.out" &
load=$!
phase steady
sleep 5 # load duration of the phase, not a wait for anything

# Both replicas see the due certificate and write a renewal against the same resourceVersion, released together by
# hold-webhook.py: one write wins, the other gets 409 and reads it back; both then serve the winner's certificate.
served() { openssl s_client -connect "127.0.0.1:$(<"$dir/$1.port")" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
secret_cert() { kubectl get secret sourceip-guard-tls -n sourceip-guard -o jsonpath='{.data.tls\.crt}' | base64 -d; }
new_log_lines() { cat <(tail -n +"$((${logged[a]} + 1))" "$dir/webhook-a.log") <(tail -n +"$((${logged[b]} + 1))" "$dir/webhook-b.log"); }
declare -A logged=([a]=$(wc -l <"$dir/webhook-a.log") [b]=$(wc -l <"$dir/webhook-b.log"))
before=$(served webhook-a)
phase renew
t0=$(sig::now)
rv_due=$(kubectl patch secret sourceip-guard-tls -n sourceip-guard --type merge -o jsonpath='{.metadata.resourceVersion}' \
  -p "{\"data\": {\"tls.crt\": \"$(base64 -w0 <"$dir/due/tls.crt")\", \"tls.key\": \"$(base64 -w0 <"$dir/due/tls.key")\"}}")
renewed_everywhere() {
  local want
  want=$(secret_cert | openssl x509 -noout -fingerprint -sha256)
  [[ $want != "$before" && $(served webhook-a) == "$want" && $(served webhook-b) == "$want" ]]
}
eventually 30 renewed_everywhere >/dev/null
sig::log "renewal: both replicas serve the new certificate $(sig::since "$t0") s after it was due"
kubectl delete validatingwebhookconfiguration e2e-hold-certificate-secret >/dev/null
# The Secret's history since the due certificate, replayed by the API server (a watch from that resourceVersion):
# one write, the winner's.
writes=$(kubectl get --raw "/api/v1/namespaces/sourceip-guard/secrets?fieldSelector=metadata.name%3Dsourceip-guard-tls&watch=1&resourceVersion=$rv_due&timeoutSeconds=1" |
  grep -c '"type":"MODIFIED"' || true)
held=$(grep ' held ' "$dir/hold.out" | awk -v rv="$rv_due" '$5 == rv' | wc -l)
renewed=$(new_log_lines | grep -c 'renewed the serving certificate' || true)
conflicts=$(new_log_lines | grep -c 'another replica renewed the certificate Secret' || true)
sig::log "renewal: $held writes held against resourceVersion $rv_due, $writes stored; logs: $renewed renewed, $conflicts read back after 409"
[[ $held == 2 && $writes == 1 && $renewed == 1 && $conflicts == 1 ]] || sig::die "the renewal race did not end with one winner"
secret_cert >"$dir/renewed.crt"
for kind in mutatingwebhookconfiguration validatingwebhookconfiguration; do
  for bundle in $(kubectl get "$kind" sourceip-guard -o jsonpath='{range .webhooks[*]}{.clientConfig.caBundle}{"\n"}{end}'); do
    openssl verify -CAfile <(base64 -d <<<"$bundle") "$dir/renewed.crt" >/dev/null ||
      sig::die "a caBundle of $kind sourceip-guard does not verify the renewed certificate"
  done
done
sig::log "renewal: one winner, both replicas serve its certificate, every caBundle verifies it"

stop_replica() { # stop_replica NAME SIGNAL: signals it and waits until it has exited
  local pid
  pid=$(<"$dir/$1.pid")
  sig::ours "$pid" "$dir" || sig::die "pid $pid is not $1"
  local t0
  t0=$(sig::now)
  kill "-$2" "$pid"
  eventually 30 is_state "$1" DOWN >/dev/null
  sig::log "haproxy took $1 out $(sig::since "$t0") s after SIG$2"
  gone() { ! sig::alive "$pid"; }
  eventually 30 gone >/dev/null
  sig::log "$1 exited $(sig::since "$t0") s after SIG$2"
}

# Kill the holder of the report Lease; the other replica must take it over and write PolicyReports.
holder=$(kubectl get lease sourceip-guard-report -n sourceip-guard -o jsonpath='{.spec.holderIdentity}')
victim=${holder%-*}
[[ $victim == webhook ]] && victim=webhook-a # the replica stack.sh up started, before its files were renamed
[[ $victim == webhook-a || $victim == webhook-b ]] || sig::die "unexpected Lease holder $holder"
survivor=webhook-a
[[ $victim == webhook-a ]] && survivor=webhook-b
phase kill
stop_replica "$victim" KILL
scan_ns=$(new_namespace failover-scan)
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: exempted, namespace: $scan_ns, labels: {sourceip-guard.io/exempt: service-external-traffic-policy}}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
YAML
taken_over() { [[ $(kubectl get lease sourceip-guard-report -n sourceip-guard -o jsonpath='{.spec.holderIdentity}') == "$survivor"-* ]]; }
eventually 90 taken_over >/dev/null
policy_report() { kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$scan_ns" -o name; }
eventually 30 policy_report >/dev/null
sig::log "$survivor holds the Lease sourceip-guard-report and wrote the PolicyReport of $scan_ns"

phase restart
"$root/e2e/stack.sh" replica "$dir" "$victim" "$(<"$dir/$victim.port")"
eventually 30 is_state "$victim" UP >/dev/null

for name in webhook-a webhook-b; do
  phase "roll-${name#webhook-}"
  stop_replica "$name" TERM
  "$root/e2e/stack.sh" replica "$dir" "$name" "$(<"$dir/$name.port")"
  eventually 30 is_state "$name" UP >/dev/null
done
phase tail
sleep 5 # load duration of the phase
touch "$dir/load.stop"
wait "$load"
sig::log "the scenario took $SECONDS s"

sig::log "writes at $rate/s, outcome as the client saw it, per phase (lost: mutation missed, wrong verdict, or failed):"
set +e
python3 "$root/e2e/failover-load.py" summary "$dir/load.out" "$dir/phases"
rc=$?
set -e
((rc == 0)) && sig::log "PASS: no write lost while renewing and rolling" || sig::log "FAIL: writes lost while renewing or rolling (logs: $dir)"
exit "$rc"
