# shellcheck shell=bash
# bench/load.sh: the markdown report over the rounds in $tsv (sourced by bench/load.sh; uses its settings,
# targets, hwm and quiet_note).
#   load::report       the report: machine, closed loop, ratios, every body, fixed rate, memory, targets
#   load::raw_rounds   the rows of $tsv as a markdown table

# load::agg KIND CASE TARGET CONC COLUMN: the median over rounds; the largest for rss_kb; for "flagged", the count
# of flagged rounds
load::agg() {
  awk -F'\t' -v k="$1" -v c="$2" -v t="$3" -v n="$4" -v col="$5" '
    NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == k && $2 == c && $3 == t && $4 == n {
      x = $(h[col])
      if (col == "flagged") { m += (x == "yes"); next }
      if (col == "rss_kb") { if (x > m) m = x; next }
      v[++cnt] = x
    }
    END {
      if (col == "flagged" || col == "rss_kb") { print m + 0; exit }
      if (cnt == 0) { print ""; exit }
      for (i = 2; i <= cnt; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { s = v[j]; v[j] = v[j - 1]; v[j - 1] = s }
      print (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
    }' "$tsv"
}
load::ms() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
load::num0() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
load::num1() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
load::mb() { awk -v x="$1" 'BEGIN { printf "%.0f", x / 1024 }'; }
load::ratio() { [[ -n $1 && -n $2 ]] || return 0; awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
load::label() { case $1 in webhook) echo "webhook (JVM)" ;; floor) echo "floor (nginx)" ;; peer) echo "peer (agnhost)" ;; esac; }
load::row() { # load::row KIND CASE TARGET CONC: | req/s | p50 | p99 | p99.9 | CPU | RSS | flagged |
  printf '| %s | %s | %s | %s | %s | %s | %s |' \
    "$(load::num0 "$(load::agg "$@" rps)")" "$(load::ms "$(load::agg "$@" p50_us)")" "$(load::ms "$(load::agg "$@" p99_us)")" "$(load::ms "$(load::agg "$@" p999_us)")" \
    "$(load::num1 "$(load::agg "$@" cpu_us_per_req)")" "$(load::mb "$(load::agg "$@" rss_kb)")" "$(load::agg "$@" flagged)"
}
load::check() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (a == "") { print "n/a"; exit }
  ok = (op == ">=") ? a >= b : a <= b; print ok ? "met" : "**not met**" }'; }

load::report() {
  local conc t c name endpoint peer_path w_r w_c w_p max_rss w16 cpu_worst w_rss r_peer r_floor p999_rate achieved verdict
  printf '## Load: webhook vs floor vs peer (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s`%s\n\n' "$command_run" "$([[ $smoke == 1 ]] && echo ' (smoke run: too short to quote)')"
  printf 'Machine:\n\n'
  bench::machine_lines
  printf -- '- clients: %s; %s\n' "$(wrk --version 2>&1 | head -n 1 | awk '{ print "wrk " $2 }')" \
    "$(h2load --version 2>&1 | head -n 1)"
  printf -- '- floor: %s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
  # The Kubernetes release and Go version the binary was built from, as Go recorded them in it.
  [[ -n $agnhost ]] && printf -- '- peer: agnhost %s (Kubernetes %s, %s)\n' \
    "$("$agnhost" --version 2>&1 | awk '{ print $NF }')" \
    "$(go version -m "$agnhost" 2>/dev/null | awk '$1 == "mod" && $2 == "k8s.io/kubernetes" { print $3 }')" \
    "$(go version "$agnhost" 2>/dev/null | awk '{ print $2 }')"
  printf -- '- settings: %s s per round, %s round(s), %s s warm-up per target and body, wrk -t%s, keep-alive, TLS as negotiated (TLS 1.3)\n' \
    "$seconds" "$rounds" "$warmup" "$wrk_threads"
  printf -- '- quiet: %s; took %s s\n\n' "$quiet_note" "$run_seconds"

  printf '### ConfigMap validation (`%s`), closed loop\n\n' "$main_case"
  printf 'Median over rounds; latency in ms as wrk measures it; CPU is the server'"'"'s utime+stime per request; RSS is the largest VmRSS after a round.\n\n'
  printf '| target | concurrency | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for conc in "${concurrency[@]}"; do
    for t in "${targets[@]}"; do
      printf '| %s | %s %s\n' "$(load::label "$t")" "$conc" "$(load::row closed "$main_case" "$t" "$conc")"
    done
  done
  printf '\n### Ratios (webhook ÷ other, `%s`)\n\n' "$main_case"
  printf '| concurrency | req/s ÷ floor | req/s ÷ peer | CPU/req ÷ floor | CPU/req ÷ peer | p99 ÷ floor | p99 ÷ peer |\n'
  printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for conc in "${concurrency[@]}"; do
    w_r=$(load::agg closed "$main_case" webhook "$conc" rps); w_c=$(load::agg closed "$main_case" webhook "$conc" cpu_us_per_req)
    w_p=$(load::agg closed "$main_case" webhook "$conc" p99_us)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$conc" \
      "$(load::ratio "$w_r" "$(load::agg closed "$main_case" floor "$conc" rps)")" "$(load::ratio "$w_r" "$(load::agg closed "$main_case" peer "$conc" rps)")" \
      "$(load::ratio "$w_c" "$(load::agg closed "$main_case" floor "$conc" cpu_us_per_req)")" "$(load::ratio "$w_c" "$(load::agg closed "$main_case" peer "$conc" cpu_us_per_req)")" \
      "$(load::ratio "$w_p" "$(load::agg closed "$main_case" floor "$conc" p99_us)")" "$(load::ratio "$w_p" "$(load::agg closed "$main_case" peer "$conc" p99_us)")"
  done

  printf '\n### Every body at concurrency 16\n\n'
  printf '| body | webhook endpoint | target | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds | req/s ÷ floor |\n'
  printf '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for c in "${cases[@]}"; do
    read -r name endpoint peer_path <<<"$c"
    for t in "${targets[@]}"; do
      [[ -n $(load::url_for "$t" "$name") ]] || continue
      printf '| `%s` | `%s` | %s %s %s |\n' "$name" "$endpoint" "$(load::label "$t")" "$(load::row closed "$name" "$t" 16)" \
        "$(load::ratio "$(load::agg closed "$name" "$t" 16 rps)" "$(load::agg closed "$name" floor 16 rps)")"
    done
  done

  printf '\n### Fixed rate: %s req/s (`%s`, h2load --h1, %s connections × %s req/s)\n\n' "$rate" "$main_case" "$rate_clients" $((rate / rate_clients))
  printf 'Latency from h2load'"'"'s per-request log (nearest rank), measured from when each request is sent.\n\n'
  printf '| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for t in "${targets[@]}"; do
    printf '| %s %s\n' "$(load::label "$t")" "$(load::row rate "$main_case" "$t" "$rate_clients")"
  done

  printf '\n### Memory\n\n| target | largest VmRSS after a round, MB | peak VmHWM at the end, MB |\n| --- | ---: | ---: |\n'
  for t in "${targets[@]}"; do
    max_rss=$(awk -F'\t' -v t="$t" 'NR > 1 && $3 == t && $15 > m { m = $15 } END { print m + 0 }' "$tsv")
    printf '| %s | %s | %s |\n' "$(load::label "$t")" "$(load::mb "$max_rss")" "$(load::mb "${hwm[$t]}")"
  done

  w16=$(load::agg closed "$main_case" webhook 16 rps)
  cpu_worst=$(awk -F'\t' 'NR > 1 && $3 == "webhook" && $1 == "closed" && $4 == 16 { print $2 }' "$tsv" | sort -u | while read -r n; do
    load::agg closed "$n" webhook 16 cpu_us_per_req; done | sort -g | tail -n 1)
  w_rss=$(awk -F'\t' 'NR > 1 && $3 == "webhook" && $15 > m { m = $15 } END { print m / 1024 }' "$tsv")
  printf '\n### Targets\n\n| target | measured | |\n| --- | --- | --- |\n'
  r_peer=$(load::ratio "$w16" "$(load::agg closed "$main_case" peer 16 rps)")
  r_floor=$(load::ratio "$w16" "$(load::agg closed "$main_case" floor 16 rps)")
  printf '| req/s ≥ 1.25 × peer at concurrency 16 | %s | %s |\n' "$(if [[ -n $r_peer ]]; then echo "$r_peer ×"; else echo "n/a (no peer)"; fi)" "$(load::check "$r_peer" '>=' 1.25)"
  printf '| req/s ≥ 0.35 × floor at concurrency 16 | %s | %s |\n' "$(if [[ -n $r_floor ]]; then echo "$r_floor ×"; else echo n/a; fi)" "$(load::check "$r_floor" '>=' 0.35)"
  printf '| server CPU ≤ 35 µs per request (worst body, concurrency 16) | %s µs | %s |\n' "$(load::num1 "$cpu_worst")" "$(load::check "$cpu_worst" '<=' 35)"
  p999_rate=$(load::agg rate "$main_case" webhook "$rate_clients" p999_us)
  achieved=$(load::agg rate "$main_case" webhook "$rate_clients" rps)
  verdict=$(load::check "$p999_rate" '<=' 2000)
  if [[ -n $achieved ]] && awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }'; then
    verdict="**not met** (only $(load::num0 "$achieved") req/s sustained)"
  fi
  printf '| p99.9 ≤ 2 ms at %s req/s | %s ms | %s |\n' "$rate" "$(load::ms "$p999_rate")" "$verdict"
  printf '| RSS ≤ 150 MB under load | %s MB (peak VmHWM %s MB) | %s |\n' "$(load::num0 "$w_rss")" "$(load::mb "${hwm[webhook]}")" "$(load::check "$w_rss" '<=' 150)"
  printf '\nflagged rounds (other processes used more than %s%% of a core): %s of %s; requests with a socket error or a non-2xx answer: %s\n' \
    "$foreign_max" "$(awk -F'\t' 'NR > 1 && $18 == "yes"' "$tsv" | wc -l)" "$(($(wc -l <"$tsv") - 1))" "$bad_requests"
}

load::raw_rounds() {
  printf '\n### Raw rounds\n\n'
  printf '| %s |\n' "$(head -n 1 "$tsv" | sed 's/\t/ | /g')"
  printf '|%s\n' "$(head -n 1 "$tsv" | awk -F'\t' '{ for (i = 1; i <= NF; i++) printf " --- |" }')"
  tail -n +2 "$tsv" | sed 's/\t/ | /g; s/^/| /; s/$/ |/'
}
