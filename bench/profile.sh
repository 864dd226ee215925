#!/usr/bin/env bash
# Where the webhook's time goes: JFR profiles per body in steady state and of the startup, as markdown.
# Method, settings and their defaults: bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

sig::usage_if_asked "$@"
command_run=$(bench::command_line bench/profile.sh BENCH_SECONDS BENCH_WARMUP BENCH_OUT BENCH_KEEP_JFR BENCH_JVM_OPTS)
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-10}
out_dir=${BENCH_OUT:-$here/out}
hz=$(getconf CLK_TCK)

sig::require_tools wrk:wrk curl:curl java:openjdk-17-jdk-headless jcmd:openjdk-17-jdk-headless jfr:openjdk-17-jdk-headless
# jcmd and jfr of the webhook's own JDK when it has them: a JFR file is read by a JDK at least as new.
jdk_bin=$(dirname "$(readlink -f "$(command -v "$sig_java")")")
[[ -x $jdk_bin/jcmd ]] && jcmd() { "$jdk_bin/jcmd" "$@"; }
[[ -x $jdk_bin/jfr ]] && jfr() { "$jdk_bin/jfr" "$@"; }

bench::workdir profile
mkdir -p "$out_dir"
stamp=$(date -u +%Y%m%d-%H%M%S)

cases=("masq-denied /validate" "masq-allowed /validate" "service-mutate /mutate" "ingress-mutate /mutate" "web-unhandled /mutate")

# categories FILE.jfr: "samples percent category" lines, largest first. A sample
# belongs to its innermost frame outside the JDK's general-purpose packages
# (java., jdk.internal., sun.nio., sun.misc.); crypto and TLS frames count as TLS.
categories() {
  jfr print --events jdk.ExecutionSample --stack-depth 128 "$1" | awk '
    function classify(f) {
      if (f ~ /^(sun\.security|com\.sun\.crypto|javax\.crypto|javax\.net\.ssl|io\.netty\.handler\.ssl)/) return "TLS (JDK crypto, Netty SslHandler)"
      if (f ~ /^(org\.jboss\.logmanager|org\.jboss\.logging|io\.quarkus\.logging|org\.eclipse\.parsson|io\.quarkus\.logging\.json)/) return "logging"
      if (f ~ /^inet\.ipaddr/) return "CIDR maths (ipaddress library)"
      if (f ~ /^org\.yaml\.snakeyaml/) return "YAML parsing (SnakeYAML)"
      if (f ~ /^com\.fasterxml\.jackson/) return "JSON (Jackson)"
      if (f ~ /^io\.micrometer|^io\.quarkus\.micrometer/) return "metrics (Micrometer)"
      if (f ~ /^io\.sourceipguard\.policy/) return "policy engine (own code)"
      if (f ~ /^io\.sourceipguard/) return "admission layer (own code)"
      if (f ~ /^(io\.netty|io\.vertx|org\.jboss\.resteasy|io\.quarkus|io\.smallrye)/) return "HTTP stack (Netty, Vert.x, RESTEasy Reactive, Quarkus)"
      if (f ~ /^(java\.|javax\.|jdk\.|sun\.)/) return ""
      return "other libraries"
    }
    function flush(  i, c) {
      if (!nf) return
      total++; c = ""
      for (i = 1; i <= nf && c == ""; i++) c = classify(frames[i])
      if (c == "") c = "JDK only (threads, collections, I/O)"
      n[c]++; nf = 0
    }
    /^jdk\.ExecutionSample/ { flush(); next }
    /^[ \t]+[A-Za-z_$][A-Za-z0-9_.$]*\(/ { f = $0; sub(/^[ \t]+/, "", f); sub(/\(.*/, "", f); frames[++nf] = f }
    END { flush(); for (c in n) printf "%d %.1f %s\n", n[c], n[c] * 100 / total, c }' | sort -rn
}

# top_frames FILE.jfr N: the N innermost frames seen most often (self time), as a markdown list
top_frames() {
  jfr print --events jdk.ExecutionSample --stack-depth 1 "$1" \
    | awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/[ \t]*line:.*/, ""); print }' \
    | sort | uniq -c | sort -rn | head -n "$2" | awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "- %d × `%s`\n", n, $0 }'
}

to_bytes() { awk '{ v = $1; u = $2; m = (u == "kB") ? 1e3 : (u == "MB") ? 1e6 : (u == "GB") ? 1e9 : 1; s += v * m } END { printf "%.0f\n", s }'; }
to_ms() { awk '{ v = $1; u = $2; m = (u == "us") ? 1e-3 : (u == "ns") ? 1e-6 : (u == "s") ? 1e3 : 1; s += v * m; n++ } END { printf "%d %.1f\n", n, s }'; }

category_table() { # category_table FILE.jfr
  printf '| where | samples | share |\n| --- | ---: | ---: |\n'
  categories "$1" | awk '{ n = $1; p = $2; $1 = $2 = ""; sub(/^  /, ""); printf "| %s | %d | %.1f%% |\n", $0, n, p }'
}

# --- steady state --------------------------------------------------------------
# A recording runs from the start (kept in memory only): JFR's own start-up cost
# (classes, instrumentation) is paid during the warm-up, not in the first body's
# figures. Native memory tracking (summary) gives the RSS breakdown.
sig::free_port port
bench::start_webhook "$port" "$work/webhook.log" \
  -XX:StartFlightRecording=name=background,settings=profile -XX:NativeMemoryTracking=summary
sig::log "webhook ready on 127.0.0.1:$port; warm-up $warmup s per body"
for c in "${cases[@]}"; do
  read -r name endpoint <<<"$c"
  bench::wrk "$name" 16 "$warmup" "https://127.0.0.1:$port$endpoint" >/dev/null
done

summary_rows=()
detail=""
for c in "${cases[@]}"; do
  read -r name endpoint <<<"$c"
  jfr_file=$work/$name.jfr
  jcmd "$sig_webhook_pid" JFR.start name="$name" settings=profile filename="$jfr_file" >/dev/null
  read -r -a s0 <<<"$(awk '{ sub(/.*\) /, ""); print $12, $13 }' "/proc/$sig_webhook_pid/stat")"
  bench::wrk "$name" 16 "$seconds" "https://127.0.0.1:$port$endpoint" >"$work/$name.wrk"
  read -r -a s1 <<<"$(awk '{ sub(/.*\) /, ""); print $12, $13 }' "/proc/$sig_webhook_pid/stat")"
  jcmd "$sig_webhook_pid" JFR.stop name="$name" >/dev/null
  requests=$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' "$work/$name.wrk")
  ((requests > 0)) || sig::die "no requests completed for $name: $(cat "$work/$name.wrk")"
  user_us=$(awk -v t=$((s1[0] - s0[0])) -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  sys_us=$(awk -v t=$((s1[1] - s0[1])) -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  alloc=$(jfr print --events jdk.ObjectAllocationSample "$jfr_file" | awk '/weight =/ { print $3, $4 }' | to_bytes)
  read -r gcs gc_ms < <(jfr print --events jdk.GarbageCollection "$jfr_file" | awk '/sumOfPauses =/ { print $3, $4 }' | to_ms)
  rps=$(awk -v n="$requests" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
  summary_rows+=("$(printf '| `%s` | %s | %s | %s | %s | %.1f | %s | %s | %.1f |' "$name" "$rps" \
    "$(awk -v a="$user_us" -v b="$sys_us" 'BEGIN { printf "%.1f", a + b }')" "$user_us" "$sys_us" \
    "$(awk -v a="$alloc" -v n="$requests" 'BEGIN { print a / n / 1024 }')" "$gcs" "$gc_ms" \
    "$(awk -v g="$gc_ms" -v n="$requests" 'BEGIN { print g * 1000 / n }')")")
  detail+=$(printf '\n#### `%s` (POST %s)\n\n%s\n\nInnermost frames seen most often:\n\n%s\n' "$name" "$endpoint" \
    "$(category_table "$jfr_file")" "$(top_frames "$jfr_file" 8)")
  detail+=$'\n'
  [[ ${BENCH_KEEP_JFR:-0} == 1 ]] && cp "$jfr_file" "$out_dir/profile-$stamp-$name.jfr"
  sig::log "$name: $rps req/s, $user_us µs user + $sys_us µs kernel CPU per request"
done
rss_kb=$(bench::status_kb "$sig_webhook_pid" VmRSS)
jcmd "$sig_webhook_pid" VM.native_memory summary scale=KB >"$work/nmt.txt"
sig::stop_pid "$sig_webhook_pid" webhook
sig_webhook_pid=""

# --- startup ------------------------------------------------------------------------
sig::free_port port
bench::start_webhook "$port" "$work/webhook-startup.log" \
  "-XX:StartFlightRecording=name=startup,settings=profile,filename=$work/startup.jfr"
startup_ms=$((($(bench::now_ns) - sig_webhook_start_ns) / 1000000))
startup_cpu_ms=$(($(bench::cpu_ticks "$sig_webhook_pid") * 1000 / hz))
jcmd "$sig_webhook_pid" JFR.stop name=startup >/dev/null
sig::stop_pid "$sig_webhook_pid" webhook
sig_webhook_pid=""
[[ ${BENCH_KEEP_JFR:-0} == 1 ]] && cp "$work/startup.jfr" "$out_dir/profile-$stamp-startup.jfr"

report=$out_dir/profile-$stamp.md
{
  printf '## Where the time goes (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s`\n\nMachine:\n\n' "$command_run"
  bench::machine_lines
  printf '\n### Steady state, concurrency 16, %s s per body after %s s of warm-up\n\n' "$seconds" "$warmup"
  printf '| body | req/s (while recording) | CPU µs/req | user µs | kernel µs | allocated kB/req | GCs | GC pause ms | GC pause µs/req |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  printf '%s\n' "${summary_rows[@]}"
  printf '%s\n' "$detail"
  printf '\n### Memory after the load (native memory tracking, committed)\n\n'
  printf 'VmRSS %s MB. NMT counts what the JVM committed; RSS is the part of it that was touched, plus the\n' "$((rss_kb / 1024))"
  printf 'mapped jar and library files.\n\n| JVM area | committed MB |\n| --- | ---: |\n'
  awk '
    /^Total: / { if (match($0, /committed=[0-9]+KB/)) printf "| **total** | **%.0f** |\n", substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
    /^-  *[A-Z][A-Za-z ]* \(reserved=/ {
      name = $0; sub(/^-  */, "", name); sub(/ *\(reserved=.*/, "", name)
      if (match($0, /committed=[0-9]+KB/)) { kb = substr($0, RSTART + 10, RLENGTH - 12); if (kb >= 1024) printf "| %s | %.0f |\n", name, kb / 1024 }
    }' "$work/nmt.txt"
  printf '\n### Startup (with the recording on: %s ms to ready, %s ms of CPU)\n\n' "$startup_ms" "$startup_cpu_ms"
  category_table "$work/startup.jfr"
  printf '\nInnermost frames seen most often:\n\n'
  top_frames "$work/startup.jfr" 10
  printf '\nCPU samples during startup by thread:\n\n'
  jfr print --events jdk.ExecutionSample "$work/startup.jfr" | sed -n 's/.*sampledThread = "\([^"]*\)".*/\1/p' \
    | sed 's/-[0-9]*$//; s/ [0-9]*$//' | sort | uniq -c | sort -rn | head -n 6 | awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "- %s: %d\n", $0, n }'
  printf '\nJIT compilation (compiler threads are not sampled by JFR): %s\n' \
    "$(jfr print --events jdk.CompilerStatistics "$work/startup.jfr" | awk '
        /compileCount =/ { c = $3 } /totalTimeSpent =/ { t = $3 " " $4 }
        END { if (c != "") printf "%s methods compiled, %s in the compilers by the time the recording stopped", c, t; else print "no statistics recorded" }')"
} | tee "$report"
sig::log "report: $report"
