#!/usr/bin/env bash
# Load benchmark: the webhook against the physical floor and against a peer,
# side by side in one run, with the same AdmissionReview bodies and settings.
#
#   webhook  the packaged application (target/quarkus-app, JVM, src/main/jvm/server.options)
#   floor    nginx answering `return 200` with the exact bytes the webhook answers for
#            that body: TLS and HTTP/1.1 keep-alive with no work behind them
#   peer     Kubernetes' e2e reference webhook, `agnhost webhook` (Go), validating the
#            same ConfigMap on /configmaps (built by scripts/kube-build.sh, from the newest
#            Kubernetes release the e2e suite runs)
#
# All three listen on free ports on 127.0.0.1 (agnhost has no address flag: it listens
# on every interface, and is only ever called on 127.0.0.1) with the same ECDSA P-256
# certificate, issued by the webhook's own `certs` command. The clients are wrk (closed
# loop: concurrency 1, 16, 64) and h2load --h1 (open loop at a fixed rate). Rounds
# alternate between the targets (the order rotates each round); each figure is the
# median over rounds. Per round: requests/s, latency p50/p99/p99.9 (from the client),
# server CPU per request (utime+stime of the server's processes from /proc/PID/stat,
# before and after), VmRSS after the round, VmHWM at the end.
#
# Noise: before starting, waits (bounded) until the 1-minute load average is at most
# BENCH_QUIET_LOAD. Each round records the load average before it and the CPU that
# processes other than the servers and the client used during it ("foreign" CPU, from
# /proc/stat minus our own processes); the load average alone cannot tell, since the
# previous round drives it up. A round with more foreign CPU than BENCH_FOREIGN_MAX
# percent of one core is flagged, and repeated (up to BENCH_RETRIES times) once the
# machine has been quiet for BENCH_QUIET_SECONDS.
#
# Output: a markdown report on stdout, also written to bench/out/load-TIMESTAMP.md,
# with the raw rounds in bench/out/load-TIMESTAMP.tsv. Exit status 1 if any request
# got a non-2xx answer or a socket error (connect, read, write, timeout), or if a
# server gave an unexpected answer; targets missed do not fail the run.
#
# The parts: bench/load/targets.sh starts and checks the three servers, bench/load/rounds.sh runs and records
# the rounds, bench/load/report.sh writes the report.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS        seconds per measured round [10]
#   BENCH_ROUNDS         rounds per target and setting [3]
#   BENCH_WARMUP         seconds of warm-up per target and body, at concurrency 16 [30: the JIT
#                        is not done after 15 s on two cores shared with the client]
#   BENCH_CONCURRENCY    closed-loop concurrency levels ["1 16 64"]
#   BENCH_BODIES         the bodies to run, by name under bench/bodies (must include
#                        masq-denied) [all five]
#   BENCH_RATE           fixed rate, requests/s [2000]
#   BENCH_RATE_CLIENTS   connections for the fixed rate [16]
#   BENCH_WRK_THREADS    wrk threads (capped at the concurrency) [1]
#   BENCH_PEER           build: build agnhost if not cached; cached: use it only if
#                        cached; off: no peer [build; cached with BENCH_SMOKE=1]
#   BENCH_QUIET_LOAD     load average to wait for before starting [0.5]
#   BENCH_QUIET_TIMEOUT  longest wait for a quiet machine, seconds [900; 0 with BENCH_SMOKE=1]
#   BENCH_FOREIGN_MAX    foreign CPU (% of one core) above which a round is flagged [10]
#   BENCH_RETRIES        repeats of a flagged round [2; 0 with BENCH_SMOKE=1]
#   BENCH_QUIET_SECONDS  quiet seconds in a row (< BENCH_FOREIGN_MAX % busy) before a repeat [10]
#   BENCH_OUT            directory for the report and raw data [bench/out]
#   BENCH_SMOKE=1        about one minute in all (1 s rounds, 1 round, 1 s warm-up, no
#                        quiet wait): checks that everything still runs and answers 2xx
#   BENCH_JAR_TIMEOUT    how long to wait for target/quarkus-app/quarkus-run.jar [600]
#   AGNHOST              an agnhost binary to use instead of scripts/kube-build.sh's
#   BENCH_JVM_OPTS       the webhook's JVM options [@src/main/jvm/server.options, as make run]
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
if [[ $smoke == 1 ]]; then
  seconds=${BENCH_SECONDS:-1} rounds=${BENCH_ROUNDS:-1} warmup=${BENCH_WARMUP:-1}
  peer_mode=${BENCH_PEER:-cached} quiet_timeout=${BENCH_QUIET_TIMEOUT:-0} retries=${BENCH_RETRIES:-0}
else
  seconds=${BENCH_SECONDS:-10} rounds=${BENCH_ROUNDS:-3} warmup=${BENCH_WARMUP:-30}
  peer_mode=${BENCH_PEER:-build} quiet_timeout=${BENCH_QUIET_TIMEOUT:-900} retries=${BENCH_RETRIES:-2}
fi
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
