#!/usr/bin/env bash
# JMH micro-benchmarks of the hot path (src/test/java/io/sourceipguard/bench/):
#   bench/jmh.sh [JMH ARGS...]      e.g. bench/jmh.sh CidrCoverage -f 1 -wi 2 -i 3
# Builds the test classes, then runs JMH on the test classpath; results go to target/jmh/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mvn -B -q -ntp test-compile
mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
mkdir -p target/jmh
java -cp "target/test-classes:target/classes:$(<target/test-classpath.txt)" org.openjdk.jmh.Main \
  -rf json -rff target/jmh/results.json "$@" | tee target/jmh/results.txt
