#!/usr/bin/env bash
# Load benchmark: the webhook against the physical floor (nginx) and a peer (agnhost), side by side, with the same
# AdmissionReview bodies and settings. Parts: load/targets.sh, load/rounds.sh, load/report.sh (its tables: load/report.py).
# Method, settings and their defaults: bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bodies=$here/bodies
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
# shellcheck source=bench/load/targets.sh
source "$here/load/targets.sh"
# shellcheck source=bench/load/rounds.sh
source "$here/load/rounds.sh"
# shellcheck source=bench/load/report.sh
source "$here/load/report.sh"

sig::usage_if_asked "$@"

env_vars=(BENCH_SMOKE BENCH_SECONDS BENCH_ROUNDS BENCH_WARMUP BENCH_CONCURRENCY BENCH_BODIES BENCH_RATE
  BENCH_RATE_CLIENTS BENCH_WRK_THREADS BENCH_PEER BENCH_QUIET_LOAD BENCH_QUIET_TIMEOUT
  BENCH_FOREIGN_MAX BENCH_RETRIES BENCH_QUIET_SECONDS BENCH_OUT AGNHOST BENCH_JVM_OPTS)
command_run=$(bench::command_line bench/load.sh "${env_vars[@]}")

smoke=${BENCH_SMOKE:-0}
seconds=${BENCH_SECONDS:-$(bench::pick 10 1)}
rounds=${BENCH_ROUNDS:-$(bench::pick 3 1)}
warmup=${BENCH_WARMUP:-$(bench::pick 30 1)}
peer_mode=${BENCH_PEER:-$(bench::pick build cached)}
quiet_timeout=${BENCH_QUIET_TIMEOUT:-$(bench::pick 900 0)}
retries=${BENCH_RETRIES:-$(bench::pick 2 0)}
read -r -a concurrency <<<"${BENCH_CONCURRENCY:-1 16 64}"
rate=${BENCH_RATE:-2000}
rate_clients=${BENCH_RATE_CLIENTS:-16}
wrk_threads=${BENCH_WRK_THREADS:-1}
quiet_load=${BENCH_QUIET_LOAD:-0.5}
foreign_max=${BENCH_FOREIGN_MAX:-10}
quiet_seconds=${BENCH_QUIET_SECONDS:-10}
out_dir=${BENCH_OUT:-$here/out}
hz=$(getconf CLK_TCK)
((rate % rate_clients == 0)) || sig::die "BENCH_RATE ($rate) must be a multiple of BENCH_RATE_CLIENTS ($rate_clients)"
[[ " ${concurrency[*]} " == *" 16 "* ]] || sig::die "BENCH_CONCURRENCY must include 16 (the other bodies and the targets are at 16)"

sig::require_tools wrk:wrk h2load:nghttp2-client nginx:nginx curl:curl jq:jq java:openjdk-17-jdk-headless

# --- the bodies --------------------------------------------------------------
# case  endpoint on the webhook  path on the peer (- = the peer has no such rule)
cases=(
  "masq-denied /validate /configmaps"
  "masq-allowed /validate /configmaps"
  "service-mutate /mutate -"
  "ingress-mutate /mutate -"
  "web-unhandled /mutate -"
)
main_case=masq-denied
if [[ -n ${BENCH_BODIES:-} ]]; then
  [[ " $BENCH_BODIES " == *" $main_case "* ]] || sig::die "BENCH_BODIES must include $main_case (the closed-loop and fixed-rate body)"
  kept=()
  for c in "${cases[@]}"; do
    read -r name _ _ <<<"$c"
    [[ " $BENCH_BODIES " == *" $name "* ]] && kept+=("$c")
  done
  cases=("${kept[@]}")
fi
for c in "${cases[@]}"; do
  read -r name _ _ <<<"$c"
  [[ -s $bodies/$name.json ]] || sig::die "bench/bodies/$name.json is missing: run bench/bodies/generate.sh"
done

# --- the peer binary ---------------------------------------------------------
agnhost=${AGNHOST:-}
[[ -z $agnhost || -x $agnhost ]] || sig::die "AGNHOST=$agnhost is not an executable file"
kube_build=$sig_root/scripts/kube-build.sh
case $peer_mode in
  build) [[ -n $agnhost ]] || agnhost=$("$kube_build" agnhost) || sig::die "scripts/kube-build.sh failed (see its messages above)" ;;
  cached)
    [[ -n $agnhost ]] || agnhost=$("$kube_build" --cached agnhost) ||
      { agnhost=""; sig::log "no cached agnhost: running without the peer (BENCH_PEER=build builds it)"; } ;;
  off) agnhost="" ;;
  *) sig::die "BENCH_PEER must be build, cached or off, not '$peer_mode'" ;;
esac
targets=(webhook floor)
[[ -n $agnhost ]] && targets+=(peer)

# --- quiet machine -----------------------------------------------------------
quiet_start_load=$(bench::load1)
if ((quiet_timeout > 0)) && ! bench::load_le "$quiet_start_load" "$quiet_load"; then
  sig::log "load average $quiet_start_load > $quiet_load: waiting up to $quiet_timeout s for a quiet machine"
  bench::wait_load "$quiet_load" "$quiet_timeout"
fi
quiet_waited_load=$(bench::load1)
bench::load_le "$quiet_waited_load" "$quiet_load" && quiet_note="started at load average $quiet_waited_load (limit $quiet_load)" \
  || quiet_note="load average still $quiet_waited_load (limit $quiet_load) when the wait ended: figures may be noisy"
sig::log "$quiet_note"

# --- servers (bench/load/targets.sh) -------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-bench.XXXXXX")
declare -A pid=() port=()
status=0
trap 'load::cleanup' EXIT
trap 'status=130; exit 130' INT TERM HUP
bench::snapshot_app "$work"
sig::make_certs "$work/certs"
load::start_webhook
load::start_floor
[[ -z $agnhost ]] || load::start_peer

# --- measuring (bench/load/rounds.sh) ------------------------------------------
mkdir -p "$out_dir"
stamp=$(date -u +%Y%m%d-%H%M%S)
tsv=$out_dir/load-$stamp.tsv
report=$out_dir/load-$stamp.md
printf 'kind\tcase\ttarget\tconc\tround\tattempt\tseconds\trequests\trps\tp50_us\tp99_us\tp999_us\tmax_us\tcpu_us_per_req\trss_kb\tload1_before\tforeign_pct\tflagged\tsocket_errors\tnon_2xx\n' >"$tsv"
bad_requests=0
run_started=$(date +%s)

sig::log "warm-up: ${warmup} s per target and body at concurrency 16"
load::warm_up

sig::log "closed loop ($main_case): concurrency ${concurrency[*]}, $rounds rounds of $seconds s"
for conc in "${concurrency[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for t in $(load::rotated "$r" "$main_case"); do load::measure closed "$t" "$main_case" "$conc" "$r"; done
  done
done

sig::log "closed loop, the other bodies at concurrency 16"
for c in "${cases[@]}"; do
  read -r name _ _ <<<"$c"
  [[ $name != "$main_case" ]] || continue
  for ((r = 1; r <= rounds; r++)); do
    for t in $(load::rotated "$r" "$name"); do load::measure closed "$t" "$name" 16 "$r"; done
  done
done

sig::log "fixed rate ($main_case): $rate req/s over $rate_clients connections"
for ((r = 1; r <= rounds; r++)); do
  for t in $(load::rotated "$r" "$main_case"); do load::measure rate "$t" "$main_case" "$rate_clients" "$r"; done
done

declare -A hwm=()
for t in "${targets[@]}"; do hwm[$t]=$(bench::status_kb "${pid[$t]}" VmHWM); done
run_seconds=$(($(date +%s) - run_started))

# --- report (bench/load/report.sh) ---------------------------------------------
load::report | tee "$report"
load::raw_rounds >>"$report"
sig::log "report: $report (raw rounds appended), data: $tsv"

((bad_requests == 0)) || load::fail "$bad_requests requests failed (socket errors or non-2xx answers)"
