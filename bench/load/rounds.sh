# shellcheck shell=bash
# bench/load.sh: the measured rounds (sourced by bench/load.sh; uses its settings, targets, pid and work).
#   load::warm_up             every target and body at concurrency 16 for BENCH_WARMUP seconds, not recorded
#   load::measure KIND TARGET CASE CONC ROUND
#                             one round of wrk (KIND closed) or h2load (KIND rate) against TARGET: a row of $tsv,
#                             repeated (up to BENCH_RETRIES times) while other processes used too much CPU
#   load::rotated ROUND CASE  the targets serving CASE, in the order of that round

# Polls /proc/stat until BENCH_QUIET_SECONDS seconds in a row each have less than BENCH_FOREIGN_MAX % of a core
# busy (our servers idle meanwhile), or until BENCH_QUIET_TIMEOUT passes.
load::wait_quiet() {
  local deadline b0 b1 quiet=0
  deadline=$((SECONDS + quiet_timeout))
  b0=$(bench::busy_ticks)
  while ((SECONDS < deadline)); do
    sleep 1
    b1=$(bench::busy_ticks)
    if (((b1 - b0) * 100 / hz < foreign_max)); then quiet=$((quiet + 1)); else quiet=0; fi
    ((quiet >= quiet_seconds)) && return 0
    b0=$b1
  done
  sig::log "machine still busy after $quiet_timeout s"
}

load::servers_ticks() { local t s=0; for t in "${targets[@]}"; do s=$((s + $(bench::cpu_ticks "${pid[$t]}"))); done; echo "$s"; }

# load::run_tool KIND TARGET CASE CONC OUTFILE SECONDS: one client run against TARGET
load::run_tool() {
  local kind=$1 target=$2 name=$3 conc=$4 out=$5 secs=$6 url threads
  url=$(load::url_for "$target" "$name")
  if [[ $kind == closed ]]; then
    threads=$((wrk_threads < conc ? wrk_threads : conc))
    bench::wrk "$name" "$conc" "$secs" "$url" "$threads" >"$out" 2>&1 || true
  else
    rm -f "$out.log"   # h2load appends to its log file
    h2load --h1 -t1 -c"$rate_clients" --rps=$((rate / rate_clients)) -D "$secs" --warm-up-time=1 \
      -d "$bodies/$name.json" -H 'Content-Type: application/json' \
      --log-file="$out.log" "$url" >"$out" 2>&1 || true
  fi
}

# load::parse_tool KIND OUTFILE: prints "requests p50 p99 p999 max socket_errors non_2xx duration_s"
load::parse_tool() {
  if [[ $1 == closed ]]; then
    awk '/^BENCH / {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%d %d %d %d %d %d %d %.6f\n", v["requests"], v["p50_us"], v["p99_us"], v["p999_us"], v["max_us"],
        v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"], v["err_status"], v["duration_us"] / 1e6
      found = 1 }
      END { if (!found) print "0 0 0 0 0 1 0 1" }' "$2"
  else
    local sock non2xx
    # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout":
    # errored and timeout are socket-level; failed also counts 4xx/5xx, counted below.
    sock=$(awk '/^requests:/ { gsub(",", ""); print $12 + $14; f = 1 } END { if (!f) print 1 }' "$2")
    non2xx=$(awk '/^status codes:/ { gsub(",", ""); print $5 + $7 + $9; f = 1 } END { if (!f) print 0 }' "$2")
    # Per-request log: start (µs since epoch), status, duration (µs); nearest-rank percentiles.
    awk '{ print $3 }' "$2.log" 2>/dev/null | sort -n | awk -v sock="$sock" -v non2xx="$non2xx" -v secs="$seconds" '
      { d[NR] = $1 }
      function pct(p,  i) { i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; return d[i] }
      END { if (NR == 0) { printf "0 0 0 0 0 %d %d %s\n", sock + 1, non2xx, secs; exit }
            printf "%d %d %d %d %d %d %d %s\n", NR, pct(50), pct(99), pct(99.9), d[NR], sock, non2xx, secs }'
  fi
}

load::warm_up() {
  local t c name req sock non2xx
  for t in "${targets[@]}"; do
    for c in "${cases[@]}"; do
      read -r name _ _ <<<"$c"
      [[ -n $(load::url_for "$t" "$name") ]] || continue
      load::run_tool closed "$t" "$name" 16 "$work/warm.out" "$warmup"
      read -r req _ _ _ _ sock non2xx _ < <(load::parse_tool closed "$work/warm.out")
      ((sock == 0 && non2xx == 0 && req > 0)) || {
        bad_requests=$((bad_requests + sock + non2xx + 1))
        sig::log "warm-up $t $name: $req requests, $sock socket errors, $non2xx non-2xx"
        sed 's/^/    /' "$work/warm.out" | tail -n 20 >&2
      }
    done
  done
}

load::measure() {
  local kind=$1 target=$2 name=$3 conc=$4 round=$5 attempt=0 out
  local l1 b0 b1 c0 c1 s0 s1 t0 t1 req p50 p99 p999 max sock non2xx dur rps cpu rss foreign flagged
  out=$work/run.out
  while :; do
    attempt=$((attempt + 1))
    l1=$(bench::load1)
    s0=$(load::servers_ticks); t0=$(bench::cpu_ticks "${pid[$target]}"); times >"$work/times0"; b0=$(bench::busy_ticks)
    load::run_tool "$kind" "$target" "$name" "$conc" "$out" "$seconds"
    b1=$(bench::busy_ticks); times >"$work/times1"; t1=$(bench::cpu_ticks "${pid[$target]}"); s1=$(load::servers_ticks)
    c0=$(bench::times_ticks "$work/times0"); c1=$(bench::times_ticks "$work/times1")
    rss=$(bench::status_kb "${pid[$target]}" VmRSS)
    read -r req p50 p99 p999 max sock non2xx dur < <(load::parse_tool "$kind" "$out")
    sig::alive "${pid[$target]}" || load::server_died "$target" "during $kind $name c=$conc"
    rps=$(awk -v n="$req" -v d="$dur" 'BEGIN { printf "%.1f", (d > 0 ? n / d : 0) }')
    cpu=$(awk -v t=$((t1 - t0)) -v n="$req" -v hz="$hz" 'BEGIN { printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    foreign=$(awk -v f=$(((b1 - b0) - (c1 - c0) - (s1 - s0))) -v d="$dur" -v hz="$hz" \
      'BEGIN { x = f / hz / d * 100; printf "%.1f", (x < 0 ? 0 : x) }')
    flagged=no
    awk -v x="$foreign" -v m="$foreign_max" 'BEGIN { exit !(x > m) }' && flagged=yes
    if [[ $flagged == yes ]] && ((attempt <= retries)); then
      sig::log "  $kind $name $target c=$conc round $round: ${foreign}% of a core used by other processes; again once quiet"
      load::wait_quiet
      continue
    fi
    break
  done
  if ((sock > 0 || non2xx > 0)); then
    bad_requests=$((bad_requests + sock + non2xx))
    sig::log "  $target $name: $sock socket errors, $non2xx non-2xx answers; client output:"
    sed 's/^/    /' "$out" | tail -n 20 >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$kind" "$name" "$target" "$conc" "$round" "$attempt" "$dur" "$req" "$rps" "$p50" "$p99" "$p999" "$max" \
    "$cpu" "$rss" "$l1" "$foreign" "$flagged" "$sock" "$non2xx" >>"$tsv"
  sig::log "  $(printf '%-6s %-14s %-7s c=%-3s r%s: %9s req/s  p50 %5s µs  p99 %6s µs  p99.9 %6s µs  %6s µs CPU/req  RSS %6s kB  load %s  foreign %s%%%s' \
    "$kind" "$name" "$target" "$conc" "$round" "$rps" "$p50" "$p99" "$p999" "$cpu" "$rss" "$l1" "$foreign" \
    "$([[ $flagged == yes ]] && echo '  FLAGGED')")"
}

# Targets in a rotating order: round r starts with target r mod n.
load::rotated() {
  local r=$1 n i t list=()
  for t in "${targets[@]}"; do [[ -n $(load::url_for "$t" "$2") ]] && list+=("$t"); done
  n=${#list[@]}
  for ((i = 0; i < n; i++)); do printf '%s\n' "${list[$(((i + r) % n))]}"; done
}
