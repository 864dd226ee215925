#!/usr/bin/env bash
# Ready from process start: exec to the first 200 on /q/health/ready, several starts, the median.
# Settings and their defaults: bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

sig::usage_if_asked "$@"
command_run=$(bench::command_line bench/startup.sh BENCH_SMOKE BENCH_STARTUP_RUNS BENCH_QUIET_LOAD BENCH_QUIET_TIMEOUT BENCH_OUT BENCH_JVM_OPTS)
runs=${BENCH_STARTUP_RUNS:-$(bench::pick 5 2)}
quiet_timeout=${BENCH_QUIET_TIMEOUT:-$(bench::pick 300 0)}
quiet_load=${BENCH_QUIET_LOAD:-0.5}
out_dir=${BENCH_OUT:-$here/out}
hz=$(getconf CLK_TCK)

sig::require_tools curl:curl java:openjdk-17-jdk-headless

bench::workdir startup

# listening PORT: true when something listens on 127.0.0.1:PORT (IPv4 or mapped IPv6)
listening() {
  local hex _sl local_addr _rem state _rest f
  printf -v hex '%04X' "$1"
  for f in /proc/net/tcp6 /proc/net/tcp; do
    while read -r _sl local_addr _rem state _rest; do
      [[ $state == 0A && $local_addr == *":$hex" ]] && return 0
    done <"$f"
  done
  return 1
}

rows=()
ready_ms_all=()
for ((i = 1; i <= runs; i++)); do
  bench::wait_load "$quiet_load" "$quiet_timeout"
  l1=$(bench::load1)
  sig::free_port p
  times >"$work/times0"
  b0=$(bench::busy_ticks)
  sig::start_webhook "$p" "$work/certs" "$work/webhook-$i.log" -Dsourceip-guard.cluster.enabled=false
  deadline_ns=$((sig_webhook_start_ns + 60 * 1000000000))
  until listening "$p"; do
    sig::alive "$sig_webhook_pid" || sig::die "the webhook exited during start $i: $(tail -n 5 "$work/webhook-$i.log")"
    (($(bench::now_ns) < deadline_ns)) || sig::die "nothing listens on $p 60 s after start $i"
    sleep 0.005
  done
  until curl -sf -o /dev/null --max-time 2 --cacert "$work/certs/ca.crt" "https://127.0.0.1:$p/q/health/ready"; do
    sig::alive "$sig_webhook_pid" || sig::die "the webhook exited during start $i: $(tail -n 5 "$work/webhook-$i.log")"
    (($(bench::now_ns) < deadline_ns)) || sig::die "not ready 60 s after start $i"
    sleep 0.005
  done
  ready_ms=$((($(bench::now_ns) - sig_webhook_start_ns) / 1000000))
  b1=$(bench::busy_ticks)
  times >"$work/times1"
  cpu_ms=$(($(bench::cpu_ticks "$sig_webhook_pid") * 1000 / hz))
  rss_kb=$(bench::status_kb "$sig_webhook_pid" VmRSS)
  # Quarkus' own figure: "... started in 1.234s. Listening on: ..."
  quarkus_s=$(sed -n 's/.* started in \([0-9.]*\)s\..*/\1/p' "$work/webhook-$i.log" | head -n 1)
  sig::stop_pid "$sig_webhook_pid" webhook
  sig_webhook_pid=""
  polls_ms=$((($(bench::times_ticks "$work/times1") - $(bench::times_ticks "$work/times0")) * 1000 / hz))
  others_ms=$(((b1 - b0) * 1000 / hz - cpu_ms - polls_ms))
  ((others_ms < 0)) && others_ms=0
  sig::log "start $i: ready after $ready_ms ms (Quarkus: ${quarkus_s:-?} s; CPU $cpu_ms ms; RSS $((rss_kb / 1024)) MB; load $l1)"
  ready_ms_all+=("$ready_ms")
  rows+=("| $i | $ready_ms | ${quarkus_s:-?} | $cpu_ms | $((rss_kb / 1024)) | $l1 | $others_ms |")
done

median=$(printf '%s\n' "${ready_ms_all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
mkdir -p "$out_dir"
report=$out_dir/startup-$(date -u +%Y%m%d-%H%M%S).md
{
  printf '## Ready from process start (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s`\n\nMachine:\n\n' "$command_run"
  bench::machine_lines
  printf '\n| start | exec → first 200 on /q/health/ready, ms | Quarkus "started in", s | webhook CPU until ready, ms | RSS when ready, MB | load average before | CPU of other processes meanwhile, ms |\n'
  printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  printf '%s\n' "${rows[@]}"
  printf '\n**Median: %s ms** over %s starts (target ≤ 1500 ms: %s).\n' "$median" "$runs" \
    "$(awk -v m="$median" 'BEGIN { print (m <= 1500) ? "met" : "not met" }')"
} | tee "$report"
sig::log "report: $report"
