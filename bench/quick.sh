#!/usr/bin/env bash
# One body, one setting, one line: for trying a JVM flag or a code change before a full
# bench/load.sh. Starts the packaged webhook (JVM options as bench/load.sh, or
# BENCH_JVM_OPTS), warms it up with wrk at concurrency 16, then measures for 10 s and
# prints req/s, the server's CPU µs per request (/proc), VmRSS and VmHWM after the load,
# and the time from exec to ready. Figures from different machines or loads do not
# compare; run the settings being compared back to back, more than once.
#
#   bench/quick.sh [BODY]     BODY: a name under bench/bodies [masq-denied]
#
# Environment: BENCH_JVM_OPTS, BENCH_JAVA, BENCH_AOT (as bench/load.sh), BENCH_WARMUP [15],
# BENCH_SECONDS [10], BENCH_CONNECTIONS [16].
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage_if_asked "$@"

body=${1:-masq-denied}
[[ -s $bench_root/bench/bodies/$body.json ]] || die "no bench/bodies/$body.json"
endpoint=/mutate
[[ $body == masq-* ]] && endpoint=/validate
require_tools wrk:wrk curl:curl java:openjdk-17-jdk-headless
bench_workdir quick 2>/dev/null
free_port port
start_webhook "$port" "$work/certs" "$work/webhook.log"
wait_ready "https://127.0.0.1:$port/q/health/ready" "$webhook_pid" webhook 60 "$work/certs/ca.crt"
ready_ms=$((($(now_ns) - webhook_start_ns) / 1000000))

load() { BENCH_BODY=$bench_root/bench/bodies/$body.json wrk -t1 -c"${BENCH_CONNECTIONS:-16}" -d"$1s" -s "$bench_root/bench/wrk.lua" "https://127.0.0.1:$port$endpoint"; }
load "${BENCH_WARMUP:-15}" >/dev/null
before=$(cpu_ticks "$webhook_pid")
out=$(load "${BENCH_SECONDS:-10}")
after=$(cpu_ticks "$webhook_pid")
requests=$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' <<<"$out")
duration_us=$(sed -n 's/^BENCH .*duration_us=\([0-9]*\).*/\1/p' <<<"$out")
errors=$(sed -n 's/.*err_connect=\([0-9]*\) err_read=\([0-9]*\) err_write=\([0-9]*\) err_status=\([0-9]*\) err_timeout=\([0-9]*\).*/\1+\2+\3+\4+\5/p' <<<"$out")
((requests > 0)) || die "no requests answered"
printf '%s [%s]: %s req/s, %s µs CPU/req, RSS %s MB, HWM %s MB, ready in %s ms, errors %s\n' \
  "$body" "$(jvm_opts_text)" "$(awk -v n="$requests" -v us="$duration_us" 'BEGIN { printf "%.0f", n / us * 1e6 }')" \
  "$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')" \
  $(($(status_kb "$webhook_pid" VmRSS) / 1024)) $(($(status_kb "$webhook_pid" VmHWM) / 1024)) "$ready_ms" "$((errors))"
