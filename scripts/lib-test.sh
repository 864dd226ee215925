#!/usr/bin/env bash
# Checks what the scripts rely on in scripts/lib.sh, with real processes and sockets (a few seconds; CI runs it):
# sig::free_port sets the caller's variable (whatever its name) and never hands out a listening port or the same
# port twice; sig::wait_for returns once its command succeeds, and fails, naming the process and showing its log,
# when the process exits or the deadline passes; sig::stop_pid stops a process that ignores SIGTERM; sig::launch,
# sig::ours and sig::stop_pidfile start, recognise and stop a process by its pid file; sig::usage prints the header;
# sig::script_key ignores comments and blank lines, not code. Prints one line per check and exits 1 on the first failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
work=$(mktemp -d)
pids=()
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

check() { # check WHAT COMMAND...: COMMAND must succeed
  local what=$1
  shift
  "$@" || sig::die "$what"
  printf 'ok   %s\n' "$what"
}
says() { # says TEXT COMMAND...: COMMAND, run in a subshell, prints TEXT (on stdout or stderr); its status is ignored
  local text=$1 out
  shift
  out=$( ("$@") 2>&1) || true
  [[ $out == *"$text"* ]] || { printf 'got: %s\n' "$out" >&2; return 1; }
}
fails_with() { local text=$1; shift; ! ("$@") >/dev/null 2>&1 && says "$text" "$@"; } # the same, and COMMAND fails

# A listening socket the port helper must skip: python3 holds one on a port from sig::free_port.
sig::free_port port
python3 -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("up", flush=True); time.sleep(60)' \
  "$port" >"$work/listener.log" 2>&1 &
pids+=($!)
disown
sig::wait_for listener "${pids[0]}" "$work/listener.log" 10 grep -q up "$work/listener.log"
sig_used_ports=" " # forget what this script handed out: only /proc/net/tcp* keeps the listener's port out now
sig::free_port p
check "sig::free_port skips a port something listens on ($port)" test "${sig_used_ports/ $port /}" != "$sig_used_ports" -a "$p" != "$port"
declare -A named=()
sig::free_port state
sig::free_port 'named[x]'
check "sig::free_port sets the caller's variable (state=$state, named[x]=${named[x]})" test -n "$state" -a -n "${named[x]}"
check "sig::free_port never hands out a port twice" test "$state" != "${named[x]}"

sleep 30 &
pids+=($!)
disown
check "sig::wait_for returns once the command succeeds" sig::wait_for sleeper "$!" - 5 true
echo "the last words of the process" >"$work/dead.log"
dead=$(sh -c 'echo $$')
check "sig::wait_for fails when the process exits" fails_with "dead (pid $dead) exited before it was ready" \
  sig::wait_for dead "$dead" "$work/dead.log" 5 false
check "sig::wait_for shows the end of the process's log" says "the last words of the process" \
  sig::wait_for dead "$dead" "$work/dead.log" 5 false
check "sig::wait_for fails when the deadline passes" fails_with "sleeper (pid $!) not ready within 1 s" sig::wait_for sleeper "$!" - 1 false

sh -c 'trap "" TERM; echo up; while :; do sleep 1; done' >"$work/stubborn.log" &
stubborn=$!
disown "$stubborn" # no job report when it is killed; a zombie counts as gone for sig::alive
pids+=("$stubborn")
sig::wait_for stubborn "$stubborn" - 5 grep -q up "$work/stubborn.log"
check "sig::stop_pid stops a process that ignores SIGTERM" says "sending SIGKILL" sig::stop_pid "$stubborn" stubborn 1
check "sig::stop_pid: it is gone" eval "! sig::alive $stubborn"

mkdir -p "$work/launched"
sig::launch "$work/launched" sleeper python3 -c 'import time; print("up", flush=True); time.sleep(30)' "$work/launched/"
launched=$(<"$work/launched/sleeper.pid")
pids+=("$launched")
# Past its exec chain (env, setsid, python3) first: mid-exec a process's command line can read as empty.
sig::wait_for sleeper "$launched" "$work/launched/sleeper.log" 10 grep -q up "$work/launched/sleeper.log"
check "sig::launch records the process's own pid, and it is ours" sig::ours "$launched" "$work/launched"
check "sig::ours: a process without DIR on its command line is not" eval "! sig::ours $$ '$work/launched'"
sig::stop_pidfile "$work/launched" sleeper 2>/dev/null
check "sig::stop_pidfile stops it and removes the pid file" eval "! sig::alive $launched && [[ ! -e $work/launched/sleeper.pid ]]"

check "sig::usage prints the script's header" fails_with "Checks what the scripts rely on" sig::usage

printf '#!/bin/sh\n# builds it\nset -eu\n\n  echo "# kept"\n' >"$work/a.sh"
printf '#!/bin/sh\n# builds it, differently said\n\n\nset -eu\n    # an indented comment\n  echo "# kept"\n' >"$work/b.sh"
printf '#!/bin/sh\n# builds it\nset -eu\n\n  echo "# changed"\n' >"$work/c.sh"
key=$(sig::script_key "$work/a.sh")
check "sig::script_key: 16 hex digits ($key)" eval '[[ $key =~ ^[0-9a-f]{16}$ ]]'
check "sig::script_key: a comment or a blank line does not change the key" test "$(sig::script_key "$work/b.sh")" = "$key"
check "sig::script_key: a change to the code does" test "$(sig::script_key "$work/c.sh")" != "$key"
