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
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

usage_if_asked "$@"

env_vars=(BENCH_SMOKE BENCH_SECONDS BENCH_ROUNDS BENCH_WARMUP BENCH_CONCURRENCY BENCH_BODIES BENCH_RATE
  BENCH_RATE_CLIENTS BENCH_WRK_THREADS BENCH_PEER BENCH_QUIET_LOAD BENCH_QUIET_TIMEOUT
  BENCH_FOREIGN_MAX BENCH_RETRIES BENCH_QUIET_SECONDS BENCH_OUT AGNHOST BENCH_JVM_OPTS)
command_run=$(command_line bench/load.sh "${env_vars[@]}")

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
((rate % rate_clients == 0)) || die "BENCH_RATE ($rate) must be a multiple of BENCH_RATE_CLIENTS ($rate_clients)"
[[ " ${concurrency[*]} " == *" 16 "* ]] || die "BENCH_CONCURRENCY must include 16 (the other bodies and the targets are at 16)"

require_tools wrk:wrk h2load:nghttp2-client nginx:nginx curl:curl jq:jq java:openjdk-17-jdk-headless

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
  [[ " $BENCH_BODIES " == *" $main_case "* ]] || die "BENCH_BODIES must include $main_case (the closed-loop and fixed-rate body)"
  kept=()
  for c in "${cases[@]}"; do
    read -r name _ _ <<<"$c"
    [[ " $BENCH_BODIES " == *" $name "* ]] && kept+=("$c")
  done
  cases=("${kept[@]}")
fi
for c in "${cases[@]}"; do
  read -r name _ _ <<<"$c"
  [[ -s $here/bodies/$name.json ]] || die "bench/bodies/$name.json is missing: run bench/bodies/generate.sh"
done
case_endpoint() { local c n e p; for c in "${cases[@]}"; do read -r n e p <<<"$c"; [[ $n == "$1" ]] && { echo "$e"; return; }; done; }
case_peer_path() { local c n e p; for c in "${cases[@]}"; do read -r n e p <<<"$c"; [[ $n == "$1" ]] && { echo "$p"; return; }; done; }

# --- the peer binary ---------------------------------------------------------
agnhost=${AGNHOST:-}
[[ -z $agnhost || -x $agnhost ]] || die "AGNHOST=$agnhost is not an executable file"
kube_build=$here/../scripts/kube-build.sh
case $peer_mode in
  build) [[ -n $agnhost ]] || agnhost=$("$kube_build" agnhost) || die "scripts/kube-build.sh failed (see its messages above)" ;;
  cached)
    [[ -n $agnhost ]] || agnhost=$("$kube_build" --cached agnhost) ||
      { agnhost=""; log "no cached agnhost: running without the peer (BENCH_PEER=build builds it)"; } ;;
  off) agnhost="" ;;
  *) die "BENCH_PEER must be build, cached or off, not '$peer_mode'" ;;
esac
targets=(webhook floor)
[[ -n $agnhost ]] && targets+=(peer)

# --- quiet machine -----------------------------------------------------------
load_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
quiet_start_load=$(load1)
if ((quiet_timeout > 0)) && ! load_le "$quiet_start_load" "$quiet_load"; then
  log "load average $quiet_start_load > $quiet_load: waiting up to $quiet_timeout s for a quiet machine"
  deadline=$(($(date +%s) + quiet_timeout))
  while ! load_le "$(load1)" "$quiet_load" && (($(date +%s) < deadline)); do sleep 5; done
fi
quiet_waited_load=$(load1)
load_le "$quiet_waited_load" "$quiet_load" && quiet_note="started at load average $quiet_waited_load (limit $quiet_load)" \
  || quiet_note="load average still $quiet_waited_load (limit $quiet_load) when the wait ended: figures may be noisy"
log "$quiet_note"

# --- servers -----------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-bench.XXXXXX")
declare -A pid=() port=()
status=0
cleanup() {
  local t
  for t in peer floor webhook; do [[ -n ${pid[$t]:-} ]] && stop_pid "${pid[$t]}" "$t"; done
  if ((status != 0)) && [[ -d $work ]]; then
    mkdir -p "$out_dir"
    for t in webhook.log nginx-error.log agnhost.log; do
      [[ -f $work/$t ]] && cp "$work/$t" "$out_dir/failed-$t"
    done
    log "server logs kept in $out_dir/failed-*.log"
  fi
  rm -rf "$work"
}
trap 'cleanup' EXIT
trap 'status=130; exit 130' INT TERM HUP
fail() { status=1; die "$*"; }
# server_died TARGET WHEN: reports how it ended (exit status, last log lines) and fails.
server_died() {
  local rc=0 logf
  wait "${pid[$1]}" 2>/dev/null || rc=$?
  case $1 in webhook) logf=$work/webhook.log ;; floor) logf=$work/nginx-error.log ;; peer) logf=$work/agnhost.log ;; esac
  log "$1 (pid ${pid[$1]}) ended $2 with status $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))"); its log ends:"
  tail -n 20 "$logf" | sed 's/^/    /' >&2
  pid[$1]=""
  fail "$1 died $2"
}

snapshot_app "$work"
make_certs "$work/certs"
cacert=$work/certs/ca.crt

free_port 'port[webhook]'
start_webhook "${port[webhook]}" "$work/certs" "$work/webhook.log"
pid[webhook]=$webhook_pid
wait_ready "https://127.0.0.1:${port[webhook]}/q/health/ready" "${pid[webhook]}" webhook 60 "$cacert"
log "webhook ready on 127.0.0.1:${port[webhook]} (pid ${pid[webhook]}) after $((($(now_ns) - webhook_start_ns) / 1000000)) ms"

post() { # post URL BODYFILE OUTFILE: prints the HTTP status
  curl -s --cacert "$cacert" --max-time 10 -o "$3" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "@$2" "$1"
}

# Capture the webhook's answer to every body once, and check it is the expected one.
for c in "${cases[@]}"; do
  read -r name endpoint _ <<<"$c"
  code=$(post "https://127.0.0.1:${port[webhook]}$endpoint" "$here/bodies/$name.json" "$work/$name.response")
  [[ $code == 200 ]] || fail "webhook answered $code to $name: $(head -c 500 "$work/$name.response")"
  uid=$(jq -r .request.uid "$here/bodies/$name.json")
  case $name in
    masq-denied) check='.response.allowed == false and .response.status.code == 403' ;;
    service-mutate | ingress-mutate) check='.response.allowed == true and .response.patchType == "JSONPatch"' ;;
    masq-allowed) check='.response.allowed == true and .response.patch == null' ;;
    web-unhandled) check='.response.allowed == true and .response.patch == null and .response.warnings == null' ;;
  esac
  jq -e --arg uid "$uid" ".response.uid == \$uid and ($check)" "$work/$name.response" >/dev/null \
    || fail "unexpected webhook answer to $name: $(cat "$work/$name.response")"
done

# The floor: nginx, not daemonised, with its own config, pid and log in $work.
free_port 'port[floor]'
nginx_quote() { # the text as an nginx single-quoted string
  local s
  s=$(<"$1")
  [[ $s != *'$'* ]] || fail "$1 contains '\$', which nginx would read as a variable"
  s=${s//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}
mkdir -p "$work/nginx"
{
  cat <<EOF
# The floor for bench/load.sh: TLS and HTTP/1.1 keep-alive, then a fixed answer.
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  client_max_body_size 3m;
  client_body_buffer_size 64k;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port[floor]} ssl reuseport;
    ssl_certificate $work/certs/tls.crt;
    ssl_certificate_key $work/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /ready { return 200 'ok'; }
EOF
  for c in "${cases[@]}"; do
    read -r name _ _ <<<"$c"
    printf '    location = /%s {\n      default_type application/json;\n      return 200 %s;\n    }\n' \
      "$name" "$(nginx_quote "$work/$name.response")"
  done
  printf '  }\n}\n'
} >"$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx-error.log" >>"$work/nginx-error.log" 2>&1 &
pid[floor]=$!
wait_ready "https://127.0.0.1:${port[floor]}/ready" "${pid[floor]}" nginx 20 "$cacert"
for c in "${cases[@]}"; do
  read -r name _ _ <<<"$c"
  code=$(post "https://127.0.0.1:${port[floor]}/$name" "$here/bodies/$name.json" "$work/$name.floor")
  [[ $code == 200 ]] && cmp -s "$work/$name.response" "$work/$name.floor" \
    || fail "nginx did not answer $name with the webhook's bytes (HTTP $code)"
done
log "floor (nginx) ready on 127.0.0.1:${port[floor]} (pid ${pid[floor]})"

if [[ -n $agnhost ]]; then
  free_port 'port[peer]'
  "$agnhost" webhook --tls-cert-file="$work/certs/tls.crt" --tls-private-key-file="$work/certs/tls.key" \
    --port="${port[peer]}" >"$work/agnhost.log" 2>&1 &
  pid[peer]=$!
  wait_ready "https://127.0.0.1:${port[peer]}/readyz" "${pid[peer]}" agnhost 20 "$cacert"
  for c in "${cases[@]}"; do
    read -r name _ peer_path <<<"$c"
    [[ $peer_path != - ]] || continue
    code=$(post "https://127.0.0.1:${port[peer]}$peer_path" "$here/bodies/$name.json" "$work/$name.peer")
    uid=$(jq -r .request.uid "$here/bodies/$name.json")
    [[ $code == 200 ]] && jq -e --arg uid "$uid" '.response.uid == $uid and .response.allowed == true' "$work/$name.peer" >/dev/null \
      || fail "agnhost answered $name with HTTP $code: $(head -c 300 "$work/$name.peer")"
  done
  log "peer (agnhost webhook) ready on 127.0.0.1:${port[peer]} (pid ${pid[peer]})"
fi

url_for() { # url_for TARGET CASE (empty if the target does not serve the case)
  local p
  case $1 in
    webhook) echo "https://127.0.0.1:${port[webhook]}$(case_endpoint "$2")" ;;
    floor) echo "https://127.0.0.1:${port[floor]}/$2" ;;
    peer) p=$(case_peer_path "$2"); [[ $p == - ]] || echo "https://127.0.0.1:${port[peer]}$p" ;;
  esac
}

# --- measuring ---------------------------------------------------------------
mkdir -p "$out_dir"
stamp=$(date -u +%Y%m%d-%H%M%S)
tsv=$out_dir/load-$stamp.tsv
report=$out_dir/load-$stamp.md
printf 'kind\tcase\ttarget\tconc\tround\tattempt\tseconds\trequests\trps\tp50_us\tp99_us\tp999_us\tmax_us\tcpu_us_per_req\trss_kb\tload1_before\tforeign_pct\tflagged\tsocket_errors\tnon_2xx\n' >"$tsv"
bad_requests=0

# Polls /proc/stat until BENCH_QUIET_SECONDS seconds in a row each have less than
# BENCH_FOREIGN_MAX % of a core busy (our servers idle meanwhile), or until
# BENCH_QUIET_TIMEOUT passes.
wait_quiet() {
  local deadline b0 b1 quiet=0
  deadline=$(($(date +%s) + quiet_timeout))
  b0=$(busy_ticks)
  while (($(date +%s) < deadline)); do
    sleep 1
    b1=$(busy_ticks)
    if (((b1 - b0) * 100 / hz < foreign_max)); then quiet=$((quiet + 1)); else quiet=0; fi
    ((quiet >= quiet_seconds)) && return 0
    b0=$b1
  done
  log "machine still busy after $quiet_timeout s"
}

servers_ticks() { local t s=0; for t in "${targets[@]}"; do s=$((s + $(cpu_ticks "${pid[$t]}"))); done; echo "$s"; }

# run_tool KIND TARGET CASE CONC OUTFILE: one client run against TARGET
run_tool() {
  local kind=$1 target=$2 name=$3 conc=$4 out=$5 url threads
  url=$(url_for "$target" "$name")
  if [[ $kind == closed ]]; then
    threads=$((wrk_threads < conc ? wrk_threads : conc))
    BENCH_BODY=$here/bodies/$name.json wrk -t"$threads" -c"$conc" -d"${seconds}s" --latency \
      -s "$here/wrk.lua" "$url" >"$out" 2>&1 || true
  else
    rm -f "$out.log"   # h2load appends to its log file
    h2load --h1 -t1 -c"$rate_clients" --rps=$((rate / rate_clients)) -D "$seconds" --warm-up-time=1 \
      -d "$here/bodies/$name.json" -H 'Content-Type: application/json' \
      --log-file="$out.log" "$url" >"$out" 2>&1 || true
  fi
}

# parse_tool KIND OUTFILE: prints "requests p50 p99 p999 max socket_errors non_2xx duration_s"
parse_tool() {
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

# measure KIND TARGET CASE CONC ROUND: one measured round, repeated while flagged
measure() {
  local kind=$1 target=$2 name=$3 conc=$4 round=$5 attempt=0 out
  local l1 b0 b1 c0 c1 s0 s1 t0 t1 req p50 p99 p999 max sock non2xx dur rps cpu rss foreign flagged
  out=$work/run.out
  while :; do
    attempt=$((attempt + 1))
    l1=$(load1)
    s0=$(servers_ticks); t0=$(cpu_ticks "${pid[$target]}"); times >"$work/times0"; b0=$(busy_ticks)
    run_tool "$kind" "$target" "$name" "$conc" "$out"
    b1=$(busy_ticks); times >"$work/times1"; t1=$(cpu_ticks "${pid[$target]}"); s1=$(servers_ticks)
    c0=$(times_ticks "$work/times0"); c1=$(times_ticks "$work/times1")
    rss=$(status_kb "${pid[$target]}" VmRSS)
    read -r req p50 p99 p999 max sock non2xx dur < <(parse_tool "$kind" "$out")
    alive "${pid[$target]}" || server_died "$target" "during $kind $name c=$conc"
    rps=$(awk -v n="$req" -v d="$dur" 'BEGIN { printf "%.1f", (d > 0 ? n / d : 0) }')
    cpu=$(awk -v t=$((t1 - t0)) -v n="$req" -v hz="$hz" 'BEGIN { printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    foreign=$(awk -v f=$(((b1 - b0) - (c1 - c0) - (s1 - s0))) -v d="$dur" -v hz="$hz" \
      'BEGIN { x = f / hz / d * 100; printf "%.1f", (x < 0 ? 0 : x) }')
    flagged=no
    awk -v x="$foreign" -v m="$foreign_max" 'BEGIN { exit !(x > m) }' && flagged=yes
    if [[ $flagged == yes ]] && ((attempt <= retries)); then
      log "  $kind $name $target c=$conc round $round: ${foreign}% of a core used by other processes; again once quiet"
      wait_quiet
      continue
    fi
    break
  done
  if ((sock > 0 || non2xx > 0)); then
    bad_requests=$((bad_requests + sock + non2xx))
    log "  $target $name: $sock socket errors, $non2xx non-2xx answers; client output:"
    sed 's/^/    /' "$out" | tail -n 20 >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$kind" "$name" "$target" "$conc" "$round" "$attempt" "$dur" "$req" "$rps" "$p50" "$p99" "$p999" "$max" \
    "$cpu" "$rss" "$l1" "$foreign" "$flagged" "$sock" "$non2xx" >>"$tsv"
  log "  $(printf '%-6s %-14s %-7s c=%-3s r%s: %9s req/s  p50 %5s µs  p99 %6s µs  p99.9 %6s µs  %6s µs CPU/req  RSS %6s kB  load %s  foreign %s%%%s' \
    "$kind" "$name" "$target" "$conc" "$round" "$rps" "$p50" "$p99" "$p999" "$cpu" "$rss" "$l1" "$foreign" \
    "$([[ $flagged == yes ]] && echo '  FLAGGED')")"
}

# Targets in a rotating order: round r starts with target r mod n.
rotated() { # rotated ROUND CASE: the targets serving CASE
  local r=$1 n i t list=()
  for t in "${targets[@]}"; do [[ -n $(url_for "$t" "$2") ]] && list+=("$t"); done
  n=${#list[@]}
  for ((i = 0; i < n; i++)); do printf '%s\n' "${list[$(((i + r) % n))]}"; done
}

run_started=$(date +%s)
log "warm-up: ${warmup} s per target and body at concurrency 16"
warm_seconds=$seconds
seconds=$warmup
for t in "${targets[@]}"; do
  for c in "${cases[@]}"; do
    read -r name _ _ <<<"$c"
    [[ -n $(url_for "$t" "$name") ]] || continue
    run_tool closed "$t" "$name" 16 "$work/warm.out"
    read -r req _ _ _ _ sock non2xx _ < <(parse_tool closed "$work/warm.out")
    ((sock == 0 && non2xx == 0 && req > 0)) || {
      bad_requests=$((bad_requests + sock + non2xx + 1))
      log "warm-up $t $name: $req requests, $sock socket errors, $non2xx non-2xx"
      sed 's/^/    /' "$work/warm.out" | tail -n 20 >&2
    }
  done
done
seconds=$warm_seconds

log "closed loop ($main_case): concurrency ${concurrency[*]}, $rounds rounds of $seconds s"
for conc in "${concurrency[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for t in $(rotated "$r" "$main_case"); do measure closed "$t" "$main_case" "$conc" "$r"; done
  done
done

log "closed loop, the other bodies at concurrency 16"
for c in "${cases[@]}"; do
  read -r name _ _ <<<"$c"
  [[ $name != "$main_case" ]] || continue
  for ((r = 1; r <= rounds; r++)); do
    for t in $(rotated "$r" "$name"); do measure closed "$t" "$name" 16 "$r"; done
  done
done

log "fixed rate ($main_case): $rate req/s over $rate_clients connections"
for ((r = 1; r <= rounds; r++)); do
  for t in $(rotated "$r" "$main_case"); do measure rate "$t" "$main_case" "$rate_clients" "$r"; done
done

declare -A hwm=()
for t in "${targets[@]}"; do hwm[$t]=$(status_kb "${pid[$t]}" VmHWM); done
run_seconds=$(($(date +%s) - run_started))

# --- report ------------------------------------------------------------------
# median KIND CASE TARGET CONC COLUMN; max for rss_kb; count of flagged rounds for "flagged"
agg() {
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
ms() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
num0() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
num1() { [[ -n $1 ]] || return 0; awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
mb() { awk -v x="$1" 'BEGIN { printf "%.0f", x / 1024 }'; }
ratio() { [[ -n $1 && -n $2 ]] || return 0; awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
label() { case $1 in webhook) echo "webhook (JVM)" ;; floor) echo "floor (nginx)" ;; peer) echo "peer (agnhost)" ;; esac; }
row() { # row KIND CASE TARGET CONC: | req/s | p50 | p99 | p99.9 | CPU | RSS | flagged |
  printf '| %s | %s | %s | %s | %s | %s | %s |' \
    "$(num0 "$(agg "$@" rps)")" "$(ms "$(agg "$@" p50_us)")" "$(ms "$(agg "$@" p99_us)")" "$(ms "$(agg "$@" p999_us)")" \
    "$(num1 "$(agg "$@" cpu_us_per_req)")" "$(mb "$(agg "$@" rss_kb)")" "$(agg "$@" flagged)"
}
check() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (a == "") { print "n/a"; exit }
  ok = (op == ">=") ? a >= b : a <= b; print ok ? "met" : "**not met**" }'; }

{
  printf '## Load: webhook vs floor vs peer (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s`%s\n\n' "$command_run" "$([[ $smoke == 1 ]] && echo ' (smoke run: too short to quote)')"
  printf 'Machine:\n\n'
  machine_lines
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
      printf '| %s | %s %s\n' "$(label "$t")" "$conc" "$(row closed "$main_case" "$t" "$conc")"
    done
  done
  printf '\n### Ratios (webhook ÷ other, `%s`)\n\n' "$main_case"
  printf '| concurrency | req/s ÷ floor | req/s ÷ peer | CPU/req ÷ floor | CPU/req ÷ peer | p99 ÷ floor | p99 ÷ peer |\n'
  printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for conc in "${concurrency[@]}"; do
    w_r=$(agg closed "$main_case" webhook "$conc" rps); w_c=$(agg closed "$main_case" webhook "$conc" cpu_us_per_req)
    w_p=$(agg closed "$main_case" webhook "$conc" p99_us)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$conc" \
      "$(ratio "$w_r" "$(agg closed "$main_case" floor "$conc" rps)")" "$(ratio "$w_r" "$(agg closed "$main_case" peer "$conc" rps)")" \
      "$(ratio "$w_c" "$(agg closed "$main_case" floor "$conc" cpu_us_per_req)")" "$(ratio "$w_c" "$(agg closed "$main_case" peer "$conc" cpu_us_per_req)")" \
      "$(ratio "$w_p" "$(agg closed "$main_case" floor "$conc" p99_us)")" "$(ratio "$w_p" "$(agg closed "$main_case" peer "$conc" p99_us)")"
  done

  printf '\n### Every body at concurrency 16\n\n'
  printf '| body | webhook endpoint | target | req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds | req/s ÷ floor |\n'
  printf '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for c in "${cases[@]}"; do
    read -r name endpoint peer_path <<<"$c"
    for t in "${targets[@]}"; do
      [[ -n $(url_for "$t" "$name") ]] || continue
      printf '| `%s` | `%s` | %s %s %s |\n' "$name" "$endpoint" "$(label "$t")" "$(row closed "$name" "$t" 16)" \
        "$(ratio "$(agg closed "$name" "$t" 16 rps)" "$(agg closed "$name" floor 16 rps)")"
    done
  done

  printf '\n### Fixed rate: %s req/s (`%s`, h2load --h1, %s connections × %s req/s)\n\n' "$rate" "$main_case" "$rate_clients" $((rate / rate_clients))
  printf 'Latency from h2load'"'"'s per-request log (nearest rank), measured from when each request is sent.\n\n'
  printf '| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | flagged rounds |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  for t in "${targets[@]}"; do
    printf '| %s %s\n' "$(label "$t")" "$(row rate "$main_case" "$t" "$rate_clients")"
  done

  printf '\n### Memory\n\n| target | largest VmRSS after a round, MB | peak VmHWM at the end, MB |\n| --- | ---: | ---: |\n'
  for t in "${targets[@]}"; do
    max_rss=$(awk -F'\t' -v t="$t" 'NR > 1 && $3 == t && $15 > m { m = $15 } END { print m + 0 }' "$tsv")
    printf '| %s | %s | %s |\n' "$(label "$t")" "$(mb "$max_rss")" "$(mb "${hwm[$t]}")"
  done

  w16=$(agg closed "$main_case" webhook 16 rps)
  cpu_worst=$(awk -F'\t' 'NR > 1 && $3 == "webhook" && $1 == "closed" && $4 == 16 { print $2 }' "$tsv" | sort -u | while read -r n; do
    agg closed "$n" webhook 16 cpu_us_per_req; done | sort -g | tail -n 1)
  w_rss=$(awk -F'\t' 'NR > 1 && $3 == "webhook" && $15 > m { m = $15 } END { print m / 1024 }' "$tsv")
  printf '\n### Targets\n\n| target | measured | |\n| --- | --- | --- |\n'
  r_peer=$(ratio "$w16" "$(agg closed "$main_case" peer 16 rps)")
  r_floor=$(ratio "$w16" "$(agg closed "$main_case" floor 16 rps)")
  printf '| req/s ≥ 1.25 × peer at concurrency 16 | %s | %s |\n' "$(if [[ -n $r_peer ]]; then echo "$r_peer ×"; else echo "n/a (no peer)"; fi)" "$(check "$r_peer" '>=' 1.25)"
  printf '| req/s ≥ 0.35 × floor at concurrency 16 | %s | %s |\n' "$(if [[ -n $r_floor ]]; then echo "$r_floor ×"; else echo n/a; fi)" "$(check "$r_floor" '>=' 0.35)"
  printf '| server CPU ≤ 35 µs per request (worst body, concurrency 16) | %s µs | %s |\n' "$(num1 "$cpu_worst")" "$(check "$cpu_worst" '<=' 35)"
  p999_rate=$(agg rate "$main_case" webhook "$rate_clients" p999_us)
  achieved=$(agg rate "$main_case" webhook "$rate_clients" rps)
  verdict=$(check "$p999_rate" '<=' 2000)
  if [[ -n $achieved ]] && awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }'; then
    verdict="**not met** (only $(num0 "$achieved") req/s sustained)"
  fi
  printf '| p99.9 ≤ 2 ms at %s req/s | %s ms | %s |\n' "$rate" "$(ms "$p999_rate")" "$verdict"
  printf '| RSS ≤ 150 MB under load | %s MB (peak VmHWM %s MB) | %s |\n' "$(num0 "$w_rss")" "$(mb "${hwm[webhook]}")" "$(check "$w_rss" '<=' 150)"
  printf '\nflagged rounds (other processes used more than %s%% of a core): %s of %s; requests with a socket error or a non-2xx answer: %s\n' \
    "$foreign_max" "$(awk -F'\t' 'NR > 1 && $18 == "yes"' "$tsv" | wc -l)" "$(($(wc -l <"$tsv") - 1))" "$bad_requests"
} | tee "$report"

{
  printf '\n### Raw rounds\n\n'
  printf '| %s |\n' "$(head -n 1 "$tsv" | sed 's/\t/ | /g')"
  printf '|%s\n' "$(head -n 1 "$tsv" | awk -F'\t' '{ for (i = 1; i <= NF; i++) printf " --- |" }')"
  tail -n +2 "$tsv" | sed 's/\t/ | /g; s/^/| /; s/$/ |/'
} >>"$report"
log "report: $report (raw rounds appended), data: $tsv"

if ((bad_requests > 0)); then
  status=1
  die "$bad_requests requests failed (socket errors or non-2xx answers)"
fi
