# shellcheck shell=bash
# bench/load.sh: the markdown report over the rounds in $tsv (sourced by bench/load.sh; uses its settings,
# targets, hwm and quiet_note).
#   load::report       the report: the machine and settings, then the tables of bench/load/report.py (closed loop,
#                      ratios, every body, fixed rate, memory, targets)
#   load::raw_rounds   the rows of $tsv as a markdown table

load::report() {
  local t c name endpoint args
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

  args=(--main-case "$main_case" --concurrency "${concurrency[@]}" --rate "$rate" --rate-clients "$rate_clients"
    --foreign-max "$foreign_max" --bad-requests "$bad_requests")
  for t in "${targets[@]}"; do args+=(--target "$t" "${hwm[$t]}"); done
  for c in "${cases[@]}"; do
    read -r name endpoint _ <<<"$c"
    args+=(--case "$name" "$endpoint")
    for t in "${targets[@]}"; do [[ -z $(load::url_for "$t" "$name") ]] || args+=("$t"); done
  done
  python3 "$here/load/report.py" "$tsv" "${args[@]}"
}

load::raw_rounds() {
  printf '\n### Raw rounds\n\n'
  printf '| %s |\n' "$(head -n 1 "$tsv" | sed 's/\t/ | /g')"
  printf '|%s\n' "$(head -n 1 "$tsv" | awk -F'\t' '{ for (i = 1; i <= NF; i++) printf " --- |" }')"
  tail -n +2 "$tsv" | sed 's/\t/ | /g; s/^/| /; s/$/ |/'
}
