#!/usr/bin/env bash
# make jmh: the JMH micro-benchmarks on the test classpath:   bench/jmh.sh [JMH ARGS...]   (bench/README.md)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mvn -B -q -ntp test-compile
mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
mkdir -p target/jmh
java -cp "target/test-classes:target/classes:$(<target/test-classpath.txt)" org.openjdk.jmh.Main \
  -rf json -rff target/jmh/results.json "$@" | tee target/jmh/results.txt
