# shellcheck shell=bash
# The one shell library of sourceip-guard, sourced by the scripts under bench/, e2e/, image/, k8s/ and scripts/:
#   source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# It only defines functions and variables; `set -euo pipefail` stays with the caller. Every function carries the
# sig:: prefix, so a call says where it lives: the shape of kubernetes/kubernetes hack/lib/, where hack/lib/init.sh
# sources hack/lib/logging.sh (kube::log::status) and hack/lib/util.sh (kube::util::wait_for_url). Processes are
# started by PID, stopped by that PID, and every wait polls with a deadline.
#
# Logging
#   sig::log MESSAGE...                 MESSAGE on stderr as "TAG: MESSAGE"; TAG is sig_log_tag, by default the
#                                       script's name without .sh
#   sig::die MESSAGE...                 "TAG: ERROR: MESSAGE", then exit 1
#   sig::usage [STATUS]                 the running script's header comment (its lines 2.. up to the first line
#                                       that is not a comment), then exit STATUS: 0 on stdout, else on stderr [2]
#   sig::usage_if_asked ARG...          sig::usage 0 when the first ARG is -h or --help
#   sig::require_tools TOOL:PACKAGE...  installs the Debian packages of the missing tools (as root), or says
#                                       what to install and exits
#   sig::now, sig::since T              seconds since the epoch; seconds since T, to a tenth
#   sig::java_major JAVA                the feature release of the java command JAVA (17, 25), empty if none
#   sig::script_key FILE [DIGITS]       the first DIGITS [16] hex digits of the sha256 of FILE without its comment
#                                       and blank lines: the cache key of what a script builds, which a comment
#                                       does not change
# Processes
#   sig::free_port VAR                  a TCP port nothing listens on, in VAR; never the same twice in one script
#   sig::alive PID                      true while PID runs (a zombie counts as gone)
#   sig::stop_pid PID NAME [GRACE]      SIGTERM; SIGKILL after GRACE seconds [10]; returns once PID is gone
#   sig::wait_for NAME PID LOG TIMEOUT COMMAND...
#                                       runs COMMAND every 0.1 s until it succeeds; if PID exits first or
#                                       TIMEOUT seconds pass, prints the end of LOG (- for none) and dies
#   sig::https_ok URL CA_FILE           true when URL answers 2xx over HTTPS, verified against CA_FILE
#   sig::wait_ready NAME PID LOG URL CA_FILE [TIMEOUT]
#                                       sig::wait_for with sig::https_ok [TIMEOUT 60]
#   sig::launch DIR NAME COMMAND...     COMMAND detached (own session: a Ctrl-C in the caller's terminal does not
#                                       reach it), no proxy from the environment, output in DIR/NAME.log, its pid
#                                       in DIR/NAME.pid
#   sig::ours PID DIR                   true while PID runs with a path under DIR on its command line (not an
#                                       unrelated process that reused a stale pid)
#   sig::stop_pidfile DIR NAME [GRACE]  sig::stop_pid of DIR/NAME.pid's process if it is ours; removes the file
# The webhook (the packaged application of make build, target/quarkus-app)
#   sig::use_app DIR                    runs the application in DIR (a quarkus-app directory): sets sig_jar,
#                                       sig_java when it is empty, and sig_aot to -XX:AOTCache=DIR/app.aot when
#                                       that cache exists and sig_java can use it (scripts/find-java.sh)
#   sig::make_certs DIR                 the application's own certs command: DIR/ca.crt, tls.crt, tls.key
#                                       (ECDSA P-256, SAN 127.0.0.1)
#   sig::start_webhook PORT CERT_DIR LOG [ARG...]
#                                       the server in the background on 127.0.0.1:PORT with CERT_DIR's pair, its
#                                       output appended to LOG; ARGs go to the JVM before -jar (-Dkey=value
#                                       settings, JVM flags); sets sig_webhook_pid and sig_webhook_start_ns (just
#                                       before the exec)
#   variables: sig_java (the JVM; scripts/find-java.sh: the newest JDK 25+ here, else java; JAVA replaces it),
#   sig_jvm_opts (array: the options of make run, @src/main/jvm/server.options), sig_aot (array, set by
#   sig::use_app; empty: no AOT cache). A caller may change them between starts.

[[ -z ${sig_root:-} ]] || return 0 # sourced once: bench/lib.sh and e2e/lib.sh both source it, and may be sourced together
sig_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sig_log_tag=${sig_log_tag:-$(basename "$0" .sh)}

sig::log() { printf '%s: %s\n' "$sig_log_tag" "$*" >&2; }
sig::die() { sig::log "ERROR: $*"; exit 1; }

sig::usage() {
  local status=${1:-2}
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&"$((status == 0 ? 1 : 2))"
  exit "$status"
}
sig::usage_if_asked() { [[ ${1:-} != -h && ${1:-} != --help ]] || sig::usage 0; }

sig::require_tools() {
  local spec missing=()
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) -eq 0 ]] || sig::die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  sig::log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

sig::now() { date +%s.%N; }
sig::java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
sig::script_key() { sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$1" | sha256sum | cut -c"1-${2:-16}"; }
sig::since() { awk -v a="$1" -v b="$(sig::now)" 'BEGIN { printf "%.1f", b - a }'; }

# Reads the listening sockets from /proc/net/tcp* (columns: sl local_address rem_address st ...; st 0A = LISTEN,
# the port in hex), so no extra tool is needed. Not reserved: a clash shows up as a failed start.
sig_used_ports=" "
sig::free_port() { # the locals start with _sig_: printf -v sets the caller's VAR, unless a local has its name
  local _sig_port _sig_addr _sig_state _
  while read -r _ _sig_addr _ _sig_state _; do
    [[ $_sig_state == 0A ]] && sig_used_ports+="$((16#${_sig_addr##*:})) "
  done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | tail -n +2)
  for _ in $(seq 1 200); do
    _sig_port=$((20000 + RANDOM % 12000))
    if [[ $sig_used_ports != *" $_sig_port "* ]]; then
      sig_used_ports+="$_sig_port "
      printf -v "$1" '%s' "$_sig_port"
      return 0
    fi
  done
  sig::die "no free port found"
}

sig::alive() {
  local state
  [[ -n ${1:-} ]] || return 1
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

sig::stop_pid() {
  local pid=$1 name=$2 grace=${3:-10} deadline
  sig::alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while sig::alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
  if sig::alive "$pid"; then
    sig::log "$name (pid $pid) ignored SIGTERM for $grace s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while sig::alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
    sig::alive "$pid" && sig::die "$name (pid $pid) does not exit"
  fi
  wait "$pid" 2>/dev/null || true
}

sig::wait_for() {
  local name=$1 pid=$2 logfile=$3 timeout=$4 deadline why
  shift 4
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    why=""
    sig::alive "$pid" || why="$name (pid $pid) exited before it was ready"
    ((SECONDS < deadline)) || why="$name (pid $pid) not ready within $timeout s"
    if [[ -n $why ]]; then
      [[ $logfile == - || ! -s $logfile ]] || { sig::log "the end of $logfile:"; tail -n 30 "$logfile" | sed 's/^/    /' >&2; }
      sig::die "$why"
    fi
    sleep 0.1 # a probe (curl, kubectl) is a process: polled faster, it takes CPU from the start it waits for
  done
}

sig::launch() {
  local dir=$1 name=$2
  shift 2
  env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY setsid "$@" </dev/null >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid" # setsid execs in place: $! is the process's own pid
}

sig::ours() { sig::alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2/"; }

sig::stop_pidfile() {
  local pidfile=$1/$2.pid pid
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if sig::ours "$pid" "$1"; then
    sig::log "stopping $2 (pid $pid)"
    sig::stop_pid "$pid" "$2" "${3:-10}"
  fi
  rm -f "$pidfile"
}

sig::https_ok() { curl -sf -o /dev/null --max-time 2 --cacert "$2" "$1"; }

sig::wait_ready() { sig::wait_for "$1" "$2" "$3" "${6:-60}" sig::https_ok "$4" "$5"; }

sig_java=""
sig_jvm_opts=("@$sig_root/src/main/jvm/server.options")
sig_aot=()
sig_jar=$sig_root/target/quarkus-app/quarkus-run.jar

sig::use_app() {
  local found=()
  sig_jar=${1%/}/quarkus-run.jar
  [[ -s $sig_jar ]] || sig::die "no $sig_jar: run make build"
  mapfile -t found < <(JAVA=${sig_java:-${JAVA:-}} "$sig_root/scripts/find-java.sh" --aot "$1")
  sig_java=${found[0]}
  sig_aot=("${found[@]:1}")
}

sig::make_certs() { "$sig_java" -jar "$sig_jar" certs --dir "$1" >&2; }

sig::start_webhook() {
  local port=$1 certs=$2 logfile=$3
  shift 3
  sig_webhook_start_ns=$(date +%s%N)
  SOURCEIP_GUARD_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 \
    "$sig_java" "${sig_jvm_opts[@]}" ${sig_aot[@]+"${sig_aot[@]}"} \
    -Dsourceip-guard.tls.cert-file="$certs/tls.crt" -Dsourceip-guard.tls.key-file="$certs/tls.key" \
    "$@" -jar "$sig_jar" >>"$logfile" 2>&1 &
  sig_webhook_pid=$!
}
