#!/usr/bin/env bash
# make soak: the webhook at a fixed rate with a real AdmissionReview; fails on any failed request or on RSS growth
# over 10% after warm-up. Settings and their defaults: bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=${SOAK_SECONDS:-600}
rate=${SOAK_RATE:-1000}
clients=10
body=$sig_root/bench/bodies/${SOAK_BODY:-service-mutate}.json
sig::require_tools h2load:nghttp2-client curl:curl java:openjdk-17-jdk-headless

bench::workdir soak
sig::free_port port
bench::start_webhook "$port" "$work/webhook.log"
url=https://127.0.0.1:$port/mutate

run() { # run SECONDS: fixed-rate load; prints h2load's summary lines
  h2load --h1 -t1 -c"$clients" --rps=$((rate / clients)) -D "$1" --warm-up-time=1 \
    -H 'Content-Type: application/json' -d "$body" "$url" 2>&1
}
failed() { # the failed and errored counts from an h2load summary
  awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) == "failed," || $(i+1) == "errored,") s += $i } END { print s + 0 }'
}
non2xx() { awk '/^status codes:/ { print $5 + $7 + $9 + 0 }'; }  # "N 2xx, N 3xx, N 4xx, N 5xx"

sig::log "warm-up: 30 s at $rate req/s"
run 30 >"$work/warmup.txt"
rss_warm=$(bench::status_kb "$sig_webhook_pid" VmRSS)
sig::log "RSS after warm-up: $((rss_warm / 1024)) MiB; soaking $seconds s at $rate req/s"
run "$seconds" >"$work/soak.txt"
rss_end=$(bench::status_kb "$sig_webhook_pid" VmRSS)
hwm=$(bench::status_kb "$sig_webhook_pid" VmHWM)

f=$(failed <"$work/soak.txt")
bad=$(non2xx <"$work/soak.txt")
growth=$(( (rss_end - rss_warm) * 100 / rss_warm ))
grep -E '^(finished in|requests:|status codes:|time for request:)' "$work/soak.txt"
printf '\nsoak: %s s at %s req/s (%s); failed/errored %s, non-2xx %s; RSS %s MiB after warm-up, %s MiB at the end (%+d%%), peak %s MiB\n' \
  "$seconds" "$rate" "$(basename "$body" .json)" "$f" "$bad" $((rss_warm / 1024)) $((rss_end / 1024)) "$growth" $((hwm / 1024))
((f == 0 && bad == 0)) || sig::die "requests failed during the soak"
((growth <= 10)) || sig::die "RSS grew by more than 10% over the soak"
