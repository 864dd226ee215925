#!/usr/bin/env bash
# Admission latency as the API server sees it: Service writes through a real kube-apiserver (e2e/stack.sh) with no
# policy, with the admission policies (the API server mutates in-process), with the webhook, and with each peer
# policy engine of bench/peers/ (Kyverno, Gatekeeper: bench/README.md).
#
#   bench/apiserver.sh [CASE...]   cases: none, policies, webhook, NAME (bench/peers/NAME.sh), peers (all of them);
#                                  default: none policies webhook and every peer present
#
# One stack for all cases, reset between them: the previous case's webhook configurations, admission policies or
# peer removed, until a dry-run create of a LoadBalancer Service is stored as written (Cluster); then the case's
# own configuration, until that create comes back Local. Each case writes into a namespace of its own.
# Per case (bench/apiserver-load.py): a warm-up at the fixed rate, the fixed rate (half creates, half updates of
# LoadBalancer Services, each asking for externalTrafficPolicy Cluster), then a closed loop of BENCH_API_CLIENTS
# clients. Every answer is checked: Local under a policy engine, Cluster with none; a case with a wrong or failed
# write is marked in the report and the script exits 1.
# Per measured window: p50/p99 of the API server's admission histograms (the delta of their buckets, as
# Prometheus' histogram_quantile), the client's p50/p99, CPU per write of the engine's process and the API server's
# (/proc/PID/stat), the engine's VmRSS and VmHWM.
#
# Output: a markdown report on stdout and in BENCH_OUT/apiserver-TIMESTAMP.md, each case's figures as JSON beside
# it; the stack's logs in BENCH_API_DIR.
#
# Environment (defaults in brackets):
#   BENCH_API_RATE        writes/s of the fixed rate [50; 20 with BENCH_SMOKE=1]
#   BENCH_API_WARMUP      seconds of warm-up at that rate [15; 2]
#   BENCH_API_SECONDS     seconds at that rate, measured [30; 4]
#   BENCH_API_CLIENTS     clients of the closed loop [16; 4]
#   BENCH_API_SATURATION  seconds of the closed loop, measured [15; 3]
#   BENCH_API_DIR         the stack's directory [target/bench/apiserver]
#   BENCH_OUT             directory for the report [bench/out]
#   E2E_KUBERNETES        the Kubernetes release: 1.37 [default] or 1.34 (no admission policies there)
#   BENCH_SMOKE=1         a few seconds per case: checks that every case runs and answers right
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sig::usage_if_asked "$@"
root=$sig_root
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh" # eventually, lb_service
PATH=$("$root/scripts/kube-build.sh"):$PATH

smoke=${BENCH_SMOKE:-0}
pick() { if [[ $smoke == 1 ]]; then echo "$2"; else echo "$1"; fi; }
rate=${BENCH_API_RATE:-$(pick 50 20)}
warmup=${BENCH_API_WARMUP:-$(pick 15 2)}
seconds=${BENCH_API_SECONDS:-$(pick 30 4)}
clients=${BENCH_API_CLIENTS:-$(pick 16 4)}
saturation=${BENCH_API_SATURATION:-$(pick 15 3)}
for v in rate warmup seconds clients saturation; do
  [[ ${!v} =~ ^[0-9]+([.][0-9]+)?$ && ${!v} != 0 ]] || sig::die "BENCH_API_${v^^}=${!v}: expected a positive number"
done
[[ $clients =~ ^[0-9]+$ ]] || sig::die "BENCH_API_CLIENTS=$clients: expected a whole number"
dir=${BENCH_API_DIR:-$root/target/bench/apiserver}
out=${BENCH_OUT:-$root/bench/out}

peers=()
for f in "$root"/bench/peers/*.sh; do [[ -x $f ]] && peers+=("$(basename "$f" .sh)"); done # not their sourced lib.sh
requested=("$@")
((${#requested[@]})) || requested=(none policies webhook peers)
cases=()
for c in "${requested[@]}"; do
  case $c in
    none | policies | webhook) cases+=("$c") ;;
    peers) cases+=(${peers[@]+"${peers[@]}"}) ;;
    *) [[ -x $root/bench/peers/$c.sh ]] || sig::die "unknown case '$c': none, policies, webhook, peers or one of: ${peers[*]:-(no bench/peers/*.sh)}"
       cases+=("$c") ;;
  esac
done

policies_served() { kubectl get --raw /apis/admissionregistration.k8s.io/v1 | grep -q '"mutatingadmissionpolicies"'; }

# stored_as POLICY [WARNING]: a dry-run create of a LoadBalancer Service comes back with that externalTrafficPolicy
# (and, when given, that warning): the API server has loaded the configuration of the case.
stored_as() {
  local answer
  answer=$(lb_service probe default Cluster | kubectl create --dry-run=server -o 'jsonpath={.spec.externalTrafficPolicy}' -f - 2>&1)
  [[ $answer == *"$1" && $answer == *"${2:-}"* ]]
}

# The none state: no webhook configuration and no admission policy of ours, none left by a peer either.
clear_admission() {
  kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration sourceip-guard --ignore-not-found >/dev/null
  if policies_served; then
    kubectl delete mutatingadmissionpolicies,mutatingadmissionpolicybindings,validatingadmissionpolicies,validatingadmissionpolicybindings \
      -l app.kubernetes.io/name=sourceip-guard --ignore-not-found >/dev/null
  fi
  eventually 30 stored_as Cluster >/dev/null || sig::die "a Service is still mutated with no policy installed: $(kubectl get mutatingwebhookconfigurations -o name)"
}

stack_pid() { echo "$1=$(<"$dir/$1.pid")"; }

# run_case CASE: sets up the case, drives the load, tears the case down; the case's JSON in $results/CASE.json.
# A case with wrong or failed writes is added to failed.
run_case() {
  local c=$1 expect=Local engine=() ns
  clear_admission
  case $c in
    none) expect=Cluster ;;
    policies)
      if ! policies_served; then
        sig::log "policies: not available (this API server does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy)"
        printf '{"case": "policies", "unavailable": "this API server does not serve MutatingAdmissionPolicy (1.36+)"}\n' >"$results/$c.json"
        return 0
      fi
      "$root/e2e/stack.sh" install "$dir" admission-policies
      eventually 30 stored_as Local >/dev/null || sig::die "the admission policies do not mutate a Service"
      ;;
    webhook)
      "$root/e2e/stack.sh" install "$dir" self-signed
      eventually 30 stored_as Local "sourceip-guard: [service-external-traffic-policy]" >/dev/null ||
        sig::die "the webhook does not mutate a Service"
      engine=(--engine "$(stack_pid webhook)")
      ;;
    *)
      "$root/bench/peers/$c.sh" up "$dir"
      eventually 30 stored_as Local >/dev/null || sig::die "peer $c does not mutate a Service"
      engine=(--engine "$(stack_pid "$c")")
      ;;
  esac
  ns=bench-$c-$(date +%s)
  kubectl create namespace "$ns" >/dev/null
  python3 "$root/bench/apiserver-load.py" case "$dir" "$c" "$ns" "$expect" "$results/$c.json" \
    --rate "$rate" --warmup "$warmup" --seconds "$seconds" --clients "$clients" --saturation "$saturation" \
    ${engine[@]+"${engine[@]}"} --pid "$(stack_pid apiserver)" --pid "$(stack_pid etcd)" --pid "$(stack_pid webhook)" || failed+=("$c")
  if [[ $c != none && $c != policies && $c != webhook ]]; then "$root/bench/peers/$c.sh" down "$dir"; fi
}

mkdir -p "$out"
stamp=$(date -u +%Y%m%d-%H%M%S)
results=$out/apiserver-$stamp
mkdir -p "$results"
trap '"$root/e2e/stack.sh" down "$dir" >/dev/null 2>&1 || true' EXIT
export E2E_SCAN_INTERVAL=24h # the webhook's background scan stays out of the measured windows
"$root/e2e/stack.sh" up "$dir"
export KUBECONFIG=$dir/kubeconfig
sig_java="" # the JVM and AOT cache e2e/stack.sh starts the webhook with, for the report
sig::use_app "$root/target/quarkus-app"

failed=()
t0=$SECONDS
for c in "${cases[@]}"; do
  sig::log "case $c ($((SECONDS - t0)) s in)"
  run_case "$c"
done

{
  printf '# Through the API server (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf -- '- command: `%s`\n' "$(bench::command_line "bench/apiserver.sh${*:+ $*}" BENCH_SMOKE BENCH_API_RATE BENCH_API_WARMUP BENCH_API_SECONDS BENCH_API_CLIENTS BENCH_API_SATURATION E2E_KUBERNETES)"
  printf -- '- Kubernetes: %s (kube-apiserver and etcd on 127.0.0.1, e2e/stack.sh; one stack, reset between cases)\n' \
    "$(kubectl version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
  printf -- '- fixed rate: %s writes/s for %s s after %s s of warm-up; saturation: %s clients for %s s\n' \
    "$rate" "$seconds" "$warmup" "$clients" "$saturation"
  printf -- '- load average at the end: %s; all cases: %s s\n' "$(bench::load1)" "$((SECONDS - t0))"
  bench::machine_lines
  printf '\n'
  python3 "$root/bench/apiserver-load.py" report "${cases[@]/#/$results/}"
} | tee "$results.md"
sig::log "report: $results.md"
((${#failed[@]} == 0)) || sig::die "wrong or failed writes in: ${failed[*]}"
