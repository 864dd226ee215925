#!/usr/bin/env bash
# One body, one setting, one line, before a full bench/load.sh:   bench/quick.sh [BODY]
# Settings and their defaults: bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sig::usage_if_asked "$@"

body=${1:-masq-denied}
[[ -s $sig_root/bench/bodies/$body.json ]] || sig::die "no bench/bodies/$body.json"
endpoint=/mutate
[[ $body == masq-* ]] && endpoint=/validate
sig::require_tools wrk:wrk curl:curl java:openjdk-17-jdk-headless
bench::workdir quick
sig::free_port port
bench::start_webhook "$port" "$work/webhook.log"
ready_ms=$((($(bench::now_ns) - sig_webhook_start_ns) / 1000000))

load() { bench::wrk "$body" "${BENCH_CONNECTIONS:-16}" "$1" "https://127.0.0.1:$port$endpoint"; }
load "${BENCH_WARMUP:-15}" >/dev/null
before=$(bench::cpu_ticks "$sig_webhook_pid")
out=$(load "${BENCH_SECONDS:-10}")
after=$(bench::cpu_ticks "$sig_webhook_pid")
requests=$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' <<<"$out")
duration_us=$(sed -n 's/^BENCH .*duration_us=\([0-9]*\).*/\1/p' <<<"$out")
errors=$(sed -n 's/.*err_connect=\([0-9]*\) err_read=\([0-9]*\) err_write=\([0-9]*\) err_status=\([0-9]*\) err_timeout=\([0-9]*\).*/\1+\2+\3+\4+\5/p' <<<"$out")
((requests > 0)) || sig::die "no requests answered"
printf '%s [%s]: %s req/s, %s µs CPU/req, RSS %s MB, HWM %s MB, ready in %s ms, errors %s\n' \
  "$body" "$(bench::jvm_opts_text)" "$(awk -v n="$requests" -v us="$duration_us" 'BEGIN { printf "%.0f", n / us * 1e6 }')" \
  "$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')" \
  $(($(bench::status_kb "$sig_webhook_pid" VmRSS) / 1024)) $(($(bench::status_kb "$sig_webhook_pid" VmHWM) / 1024)) "$ready_ms" "$((errors))"
