# shellcheck shell=bash
# Helpers shared by the bench/ scripts (sourced, not run).
# Every process is started by the caller, remembered by PID and stopped by that
# PID; waits poll with a deadline.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=""   # set by snapshot_app
# The webhook's JVM settings, as `make run` uses them; BENCH_JVM_OPTS replaces
# them (word-split) for experiments.
read -r -a webhook_jvm_opts <<<"${BENCH_JVM_OPTS:-@$bench_root/src/main/jvm/server.options}"
# The webhook's JVM, as make run picks it (scripts/find-java.sh: the newest JDK 25+ here, else java);
# BENCH_JAVA replaces it. With the AOT cache of the snapshot when it has one (make aot; BENCH_AOT=0: without).
webhook_java=$(JAVA=${BENCH_JAVA:-} "$bench_root/scripts/find-java.sh")
webhook_aot=()   # set by snapshot_app

log() { printf '[bench] %s\n' "$*" >&2; }

# The webhook's JVM options as flags, for reports: an @file is read without its comments.
jvm_opts_text() {
  local o
  for o in "${webhook_jvm_opts[@]}"; do
    if [[ $o == @* ]]; then sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${o#@}"; else printf '%s\n' "$o"; fi
  done | paste -sd ' '
}
die() { log "ERROR: $*"; exit 1; }

now_ns() { date +%s%N; }

# require_tools TOOL:PACKAGE...: installs the Debian packages of missing tools
# (as root), or says what to install.
require_tools() {
  local spec tool pkg missing=()
  for spec in "$@"; do
    tool=${spec%%:*} pkg=${spec#*:}
    command -v "$tool" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  fi
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The jar is built by `make build`; the benchmarks never build it. Another
# build may be writing it right now, so wait (with a deadline) until it exists
# and nothing in target/quarkus-app changed for 5 s, then run from a copy in
# DIR: a rebuild during the benchmark cannot pull classes from under the JVM.
# Sets jar to the copy and app_build to a line saying what was copied.
snapshot_app() { # snapshot_app DIR
  local app=$bench_root/target/quarkus-app deadline newest mtime
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
    (($(date +%s) < deadline)) || die "no complete $app after ${BENCH_JAR_TIMEOUT:-600} s: run 'make build' first"
    log "waiting for $app (a build is writing it, or run 'make build')"
    sleep 2
  done
  jar=$1/quarkus-app/quarkus-run.jar
  local found=()
  mapfile -t found < <(JAVA=$webhook_java "$bench_root/scripts/find-java.sh" --aot "$1/quarkus-app")
  webhook_aot=()
  if [[ ${BENCH_AOT:-1} == 1 && ${#found[@]} -gt 1 ]]; then webhook_aot=("${found[1]}"); fi
  local head dirty=""
  head=$(git -C "$bench_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -n $(git -C "$bench_root" status --porcelain -- src pom.xml 2>/dev/null) ]] && dirty=" (src/ or pom.xml had uncommitted changes)"
  app_build="target/quarkus-app built $(date -u -d "@$mtime" '+%Y-%m-%d %H:%M:%S UTC'), checkout at $head$dirty"
}

# Picks a TCP port nothing listens on (from /proc/net/tcp*; not reserved: a
# clash shows up as a failed start).
used_ports=" "
free_port() { # free_port VAR
  local _fp _sl local_addr _rem state _rest
  while read -r _sl local_addr _rem state _rest; do
    [[ $state == 0A ]] && used_ports+="$((16#${local_addr##*:})) "
  done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | tail -n +2)
  for _ in $(seq 1 200); do
    _fp=$((20000 + RANDOM % 12000))
    if [[ $used_ports != *" $_fp "* ]]; then
      used_ports+="$_fp "
      printf -v "$1" '%s' "$_fp"
      return 0
    fi
  done
  die "no free port found"
}

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# stop_pid PID NAME: SIGTERM, poll until gone (10 s), then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 deadline
  alive "$pid" || return 0
  kill "$pid" 2>/dev/null || true
  deadline=$(($(date +%s) + 10))
  while alive "$pid" && (($(date +%s) < deadline)); do sleep 0.05; done
  if alive "$pid"; then
    log "$name (pid $pid) ignored SIGTERM; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# wait_ready URL PID NAME TIMEOUT_S [CACERT]: polls until URL answers 2xx; fails
# early if the process died.
wait_ready() {
  local url=$1 pid=$2 name=$3 timeout=$4 cacert=${5:-} deadline
  local curl_tls=(-k)
  [[ -n $cacert ]] && curl_tls=(--cacert "$cacert")
  deadline=$(($(date +%s) + timeout))
  until curl -sf -o /dev/null --max-time 2 "${curl_tls[@]}" "$url"; do
    alive "$pid" || die "$name (pid $pid) exited before it was ready"
    (($(date +%s) < deadline)) || die "$name not ready at $url after $timeout s"
    sleep 0.02
  done
}

# certs DIR: the webhook's own issuer writes DIR/ca.crt, tls.crt, tls.key
# (ECDSA P-256, SAN 127.0.0.1). Every server in the benchmark uses this pair.
make_certs() {
  "$webhook_java" -jar "$jar" certs --dir "$1" >&2
}

# start_webhook PORT CERTDIR LOG: starts the packaged webhook (JVM), sets
# webhook_pid and webhook_start_ns (the moment just before the exec).
start_webhook() {
  local port=$1 certs=$2 logfile=$3
  webhook_start_ns=$(now_ns)
  SOURCEIP_GUARD_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 \
    "$webhook_java" "${webhook_jvm_opts[@]}" ${webhook_aot[@]+"${webhook_aot[@]}"} \
    -Dsourceip-guard.tls.cert-file="$certs/tls.crt" \
    -Dsourceip-guard.tls.key-file="$certs/tls.key" \
    -Dsourceip-guard.cluster.enabled=false \
    -jar "$jar" >"$logfile" 2>&1 &
  webhook_pid=$!
}

# pid_tree PID: PID and its children (nginx's master and workers).
pid_tree() {
  local pid=$1
  printf '%s\n' "$pid"
  cat "/proc/$pid/task/"*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

# cpu_ticks PID: utime+stime of PID and its children, in clock ticks (all threads).
cpu_ticks() {
  local p total=0 stat rest f
  for p in $(pid_tree "$1"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${stat##*) }                      # after "pid (comm) "
    read -r -a f <<<"$rest"                # f[0] is field 3 (state)
    total=$((total + f[11] + f[12]))        # fields 14 utime, 15 stime
  done
  printf '%s\n' "$total"
}

# status_kb PID FIELD: sum of FIELD (VmRSS, VmHWM) over PID and its children, in kB.
status_kb() {
  local p total=0 v
  for p in $(pid_tree "$1"); do
    v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  printf '%s\n' "$total"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# busy_ticks: CPU ticks spent not idle, all CPUs (from /proc/stat).
busy_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# times_ticks FILE: CPU used by the reaped children of the shell that wrote FILE
# with `times >FILE` (line 2, "XmY.YYYs XmY.YYYs"), in ticks. `times` must run in
# the measuring shell itself: in a $(...) subshell it would see only the
# subshell's own children.
times_ticks() {
  awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
    printf "%d\n", t * hz + 0.5 }' "$1"
}

machine_lines() {
  local cpu java_v
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  java_v=$("$webhook_java" -version 2>&1 | head -n 2 | paste -sd ';' | sed 's/;/; /')
  printf -- '- CPU: %s, `nproc` = %s\n' "${cpu:-unknown}" "$(nproc)"
  printf -- '- memory: %s MiB\n' "$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
  printf -- '- kernel: %s\n' "$(uname -srm)"
  printf -- '- Java: %s\n' "$java_v"
  printf -- '- webhook JVM options: `%s`\n' "$(jvm_opts_text)"
  if ((${#webhook_aot[@]})); then
    printf -- '- AOT cache: yes (`make aot`, trained by scripts/aot-train.sh)\n'
  else
    printf -- '- AOT cache: none\n'
  fi
  [[ -n ${app_build:-} ]] && printf -- '- application: %s\n' "$app_build"
  return 0
}

# command_line SCRIPT VAR...: the command as it was run, with the variables that were set.
command_line() {
  local script=$1 v out=""
  shift
  for v in "$@"; do
    [[ -n ${!v+x} ]] || continue
    if [[ ${!v} == *" "* ]]; then out+="$v=\"${!v}\" "; else out+="$v=${!v} "; fi
  done
  printf '%s%s\n' "$out" "$script"
}

# usage_if_asked ARGS...: for -h or --help, prints the calling script's header comment and exits.
usage_if_asked() {
  if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[1]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
  fi
}

# bench_workdir NAME: a temporary directory in $work (removed on exit, with the webhook stopped by
# PID), a snapshot of the packaged application and a certificate in it.
bench_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-$1.XXXXXX")
  webhook_pid=""
  trap '[[ -n $webhook_pid ]] && stop_pid "$webhook_pid" webhook; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM HUP
  snapshot_app "$work"
  make_certs "$work/certs"
}
