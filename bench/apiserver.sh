#!/usr/bin/env bash
# make bench-apiserver: admission latency as the API server sees it, with no policy, the admission policies, the
# webhook and each peer of bench/peers/:   bench/apiserver.sh [CASE...]
# Cases, method, settings and their defaults: bench/README.md, "Through the API server".
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sig::usage_if_asked "$@"
root=$sig_root
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh" # eventually, lb_service, clear_admission
PATH=$("$root/scripts/kube-build.sh"):$PATH

rate=${BENCH_API_RATE:-$(bench::pick 50 20)}
warmup=${BENCH_API_WARMUP:-$(bench::pick 15 2)}
seconds=${BENCH_API_SECONDS:-$(bench::pick 30 4)}
clients=${BENCH_API_CLIENTS:-$(bench::pick 16 4)}
saturation=${BENCH_API_SATURATION:-$(bench::pick 15 3)}
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

# stored_as POLICY [WARNING]: a dry-run create of a LoadBalancer Service comes back with that externalTrafficPolicy
# (and, when given, that warning): the API server has loaded the configuration of the case.
stored_as() {
  local answer
  answer=$(lb_service probe default Cluster | kubectl create --dry-run=server -o 'jsonpath={.spec.externalTrafficPolicy}' -f - 2>&1)
  [[ $answer == *"$1" && $answer == *"${2:-}"* ]]
}

# The none state: clear_admission (e2e/lib.sh), and no peer's webhook left either.
reset_admission() {
  clear_admission
  eventually 30 stored_as Cluster >/dev/null || sig::die "a Service is still mutated with no policy installed: $(kubectl get mutatingwebhookconfigurations -o name)"
}

stack_pid() { echo "$1=$(<"$dir/$1.pid")"; }

# run_case CASE: sets up the case, drives the load, tears the case down; the case's JSON in $results/CASE.json.
# A case with wrong or failed writes is added to failed.
run_case() {
  local c=$1 expect=Local engine=() ns
  reset_admission
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
