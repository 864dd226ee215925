# shellcheck shell=bash
# What the bench/ scripts share beyond scripts/lib.sh (sourced, not run; bench::): a snapshot of the packaged
# application to run the webhook from, readings from /proc, the quiet-machine wait, the lines every report starts
# with. BENCH_JAVA, BENCH_JVM_OPTS (word-split) and BENCH_AOT=0 replace the webhook's JVM, options and AOT cache.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

sig_java=${BENCH_JAVA:-}
[[ -z ${BENCH_JVM_OPTS:-} ]] || read -r -a sig_jvm_opts <<<"$BENCH_JVM_OPTS"

bench::now_ns() { date +%s%N; }
bench::pick() { if [[ ${BENCH_SMOKE:-0} == 1 ]]; then echo "$2"; else echo "$1"; fi; } # bench::pick DEFAULT SMOKE

# The jar is built by `make build`; the benchmarks never build it. Another build may be writing it right now, so
# wait (with a deadline) until it exists and nothing in target/quarkus-app changed for 5 s, then run from a copy in
# DIR: a rebuild during the benchmark cannot pull classes from under the JVM. Sets app_build to a line saying what
# was copied.
bench::snapshot_app() { # bench::snapshot_app DIR
  local app=$sig_root/target/quarkus-app deadline newest mtime head dirty=""
  deadline=$(($(date +%s) + ${BENCH_JAR_TIMEOUT:-600}))
  while :; do
    if [[ -s $app/quarkus-run.jar && -d $app/lib ]]; then
      newest=$(find "$app" -printf '%T@\n' | sort -n | tail -n 1)
      if (($(date +%s) - ${newest%.*} >= 5)); then
        mtime=$(stat -c %Y "$app/quarkus-run.jar")
        rm -rf "$1/quarkus-app"
        cp -a "$app" "$1/quarkus-app"
        [[ $(stat -c %Y "$app/quarkus-run.jar") == "$mtime" ]] && break
      fi
    fi
    (($(date +%s) < deadline)) || sig::die "no complete $app after ${BENCH_JAR_TIMEOUT:-600} s: run 'make build' first"
    sig::log "waiting for $app (a build is writing it, or run 'make build')"
    sleep 2
  done
  sig::use_app "$1/quarkus-app"
  [[ ${BENCH_AOT:-1} == 1 ]] || sig_aot=()
  head=$(git -C "$sig_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -n $(git -C "$sig_root" status --porcelain -- src pom.xml 2>/dev/null) ]] && dirty=" (src/ or pom.xml had uncommitted changes)"
  app_build="target/quarkus-app built $(date -u -d "@$mtime" '+%Y-%m-%d %H:%M:%S UTC'), checkout at $head$dirty"
}

# bench::workdir NAME: $work, a temporary directory removed at exit (the webhook stopped by its PID), holding a
# snapshot of target/quarkus-app and a certificate pair.
bench::workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-$1.XXXXXX")
  sig_webhook_pid=""
  trap 'sig::stop_pid "$sig_webhook_pid" webhook; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM HUP
  bench::snapshot_app "$work"
  sig::make_certs "$work/certs" 2>/dev/null
}

bench::start_webhook() { # bench::start_webhook PORT LOG [ARG...]: cluster access off, $work's pair; waits until ready
  local port=$1 logfile=$2
  shift 2
  sig::start_webhook "$port" "$work/certs" "$logfile" -Dsourceip-guard.cluster.enabled=false "$@"
  sig::wait_ready webhook "$sig_webhook_pid" "$logfile" "https://127.0.0.1:$port/q/health/ready" "$work/certs/ca.crt"
}

bench::wrk() { # bench::wrk BODY CONNECTIONS SECONDS URL [THREADS]: wrk POSTing bench/bodies/BODY.json
  BENCH_BODY=$sig_root/bench/bodies/$1.json wrk -t"${5:-1}" -c"$2" -d"$3s" --latency -s "$sig_root/bench/wrk.lua" "$4"
}

# bench::pid_tree PID: PID and its children (nginx's master and workers).
bench::pid_tree() {
  printf '%s\n' "$1"
  cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

# bench::cpu_ticks PID: utime+stime of PID and its children, in clock ticks (all threads).
bench::cpu_ticks() {
  local p total=0 stat rest fields
  for p in $(bench::pid_tree "$1"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${stat##*) }                      # after "pid (comm) "
    read -r -a fields <<<"$rest"           # fields[0] is field 3 (state)
    total=$((total + fields[11] + fields[12]))  # fields 14 utime, 15 stime
  done
  printf '%s\n' "$total"
}

# bench::status_kb PID FIELD: sum of FIELD (VmRSS, VmHWM) over PID and its children, in kB.
bench::status_kb() {
  local p total=0 v
  for p in $(bench::pid_tree "$1"); do
    v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  printf '%s\n' "$total"
}

bench::load1() { cut -d' ' -f1 /proc/loadavg; }
bench::load_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# bench::wait_load LIMIT TIMEOUT: polls the 1-minute load average every 2 s until it is at most LIMIT, for at most
# TIMEOUT seconds (0: no wait).
bench::wait_load() {
  local deadline=$((SECONDS + $2))
  while ! bench::load_le "$(bench::load1)" "$1" && ((SECONDS < deadline)); do sleep 2; done
}

# bench::busy_ticks: CPU ticks spent not idle, all CPUs (from /proc/stat).
bench::busy_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# bench::times_ticks FILE: CPU used by the reaped children of the shell that wrote FILE with `times >FILE` (line 2,
# "XmY.YYYs XmY.YYYs"), in ticks. `times` must run in the measuring shell itself: in a $(...) subshell it would see
# only the subshell's own children.
bench::times_ticks() {
  awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
    printf "%d\n", t * hz + 0.5 }' "$1"
}

# The webhook's JVM options as flags, for reports: an @file is read without its comments.
bench::jvm_opts_text() {
  local o
  for o in "${sig_jvm_opts[@]}"; do
    if [[ $o == @* ]]; then sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${o#@}"; else printf '%s\n' "$o"; fi
  done | paste -sd ' '
}

bench::machine_lines() {
  local cpu java_v
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  java_v=$("$sig_java" -version 2>&1 | head -n 2 | paste -sd ';' | sed 's/;/; /')
  printf -- '- CPU: %s, `nproc` = %s\n' "${cpu:-unknown}" "$(nproc)"
  printf -- '- memory: %s MiB\n' "$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
  printf -- '- kernel: %s\n' "$(uname -srm)"
  printf -- '- Java: %s\n' "$java_v"
  printf -- '- webhook JVM options: `%s`\n' "$(bench::jvm_opts_text)"
  if ((${#sig_aot[@]})); then
    printf -- '- AOT cache: yes (`make aot`, trained by scripts/aot-train.sh)\n'
  else
    printf -- '- AOT cache: none\n'
  fi
  [[ -n ${app_build:-} ]] && printf -- '- application: %s\n' "$app_build"
  return 0
}

# bench::command_line SCRIPT VAR...: the command as it was run, with the variables that were set.
bench::command_line() {
  local script=$1 v out=""
  shift
  for v in "$@"; do
    [[ -n ${!v+x} ]] || continue
    if [[ ${!v} == *" "* ]]; then out+="$v=\"${!v}\" "; else out+="$v=${!v} "; fi
  done
  printf '%s%s\n' "$out" "$script"
}
