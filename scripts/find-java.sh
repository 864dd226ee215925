#!/usr/bin/env bash
# Prints the java command that runs the webhook here: the newest JDK 25 or later among JAVA_HOME and
# /usr/lib/jvm/* (the AOT cache of scripts/aot-cache.sh needs one: ready in about a second instead of
# about two), else plain `java` (17 or later; the webhook runs the same, only starts slower).
#
#   scripts/find-java.sh                   the java command
#   scripts/find-java.sh --aot APP_DIR     also, on a second line, -XX:AOTCache=APP_DIR/app.aot when that cache
#                                          exists and the java command is 25 or later (make aot writes it)
# JAVA=... replaces the search (the Makefile's JAVA, bench's BENCH_JAVA).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

java=${JAVA:-}
if [ -z "$java" ]; then
  best_major=0
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
    [ -x "$candidate" ] || continue
    m=$(sig::java_major "$candidate")
    [ -n "$m" ] && [ "$m" -ge 25 ] && [ "$m" -gt "$best_major" ] && java=$candidate best_major=$m
  done
  java=${java:-java}
fi
echo "$java"
if [ "${1:-}" = --aot ]; then
  cache=${2:?usage: find-java.sh --aot APP_DIR}
  cache=${cache%/}/app.aot
  m=$(sig::java_major "$java")
  if [ -s "$cache" ] && [ "${m:-0}" -ge 25 ]; then echo "-XX:AOTCache=$cache"; fi
fi
