#!/usr/bin/env bash
# Runs GraalVM's native-image builder over the packaged application, with the arguments Quarkus generated
# (make native-sources: target/native-sources/native-image.args), through class initialisation, analysis,
# compilation and the writing of the object file, and stops before the link. Succeeds only when the builder
# reached that point with no error; prints the builder's own figures. See image/NATIVE.md.
#
# The builder runs from Maven artifacts on a plain JDK 25, in a private overlay JDK with a GraalVM layout, cached and
# keyed as image/NATIVE.md says; the builder's jars stay in Maven's local repository.
#
# Environment: MVN (the Maven command), NATIVE_CHECK_XMX (the builder's heap, default 7g),
# NATIVE_CHECK_THREADS (its threads, default 2).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
MVN=${MVN:-mvn -B -ntp}

out=target/native-check
sources=target/native-sources
[ -s "$sources/native-image.args" ] || sig::die "no $sources/native-image.args: run make native-sources first"
mkdir -p "$out"
command -v cc >/dev/null && command -v ar >/dev/null || sig::die "needs a C compiler and ar (Debian: gcc, binutils)"

java=$(scripts/find-java.sh)
major=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
[ "${major:-0}" = 25 ] || sig::die "the builder needs JDK 25 (scripts/find-java.sh found $java, version ${major:-unknown})"
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")
[ -f "$jdk/include/jni.h" ] || sig::die "$jdk is not a JDK (no include/jni.h)"

# The builder's jars: Maven resolves them once into its local repository.
# shellcheck disable=SC2086
$MVN -q -f image/native-check/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$out/builder.classpath" \
  >"$out/maven.log" 2>&1 || { tail -20 "$out/maven.log" >&2; sig::die "could not resolve the native-image builder"; }
builder_cp=$(cat "$out/builder.classpath")
graal=$(sed -n 's/.*<graalvm.version>\(.*\)<\/graalvm.version>.*/\1/p' image/native-check/pom.xml)

hash=$({ sig::script_key image/native-check.sh 64; cat image/NativeCheck.java image/native-check/* "$jdk/release"; } | sha256sum | cut -c1-12)
overlay=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard/native-jdk-$graal-$hash
if [ ! -x "$overlay/bin/java" ]; then
  sig::log "building the overlay JDK $overlay"
  tmp=$overlay.tmp.$$
  rm -rf "$tmp" && mkdir -p "$tmp/bin" "$tmp/lib/server"
  for entry in "$jdk"/*; do
    case $(basename "$entry") in bin | lib) ;; *) ln -s "$entry" "$tmp/" ;; esac
  done
  for entry in "$jdk"/bin/* "$jdk"/lib/* "$jdk"/lib/server/*; do
    target=$tmp/${entry#"$jdk"/}
    [ -e "$target" ] || ln -s "$entry" "$target"
  done
  for file in bin/java lib/libjli.so lib/server/libjvm.so; do
    rm "$tmp/$file" && cp "$jdk/$file" "$tmp/$file"
  done
  mkdir -p "$tmp/lib/svm/builder/lib" "$tmp/lib/svm/clibraries/linux-amd64/include" "$tmp/lib/static/linux-amd64/glibc"
  cc -shared -fPIC -O2 -I"$jdk/include" -I"$jdk/include/linux" -o "$tmp/lib/svm/builder/lib/libreporterchelper.so" \
    image/native-check/reporterchelper.c
  "$java" image/NativeCheck.java headers "$tmp/lib/svm/clibraries/linux-amd64/include" "$builder_cp"
  for lib in libjava libnio libnet libzip libjimage libfdlibm libextnet libmanagement_ext; do
    ar rc "$tmp/lib/static/linux-amd64/glibc/$lib.a"
  done
  rm -rf "$overlay" && mv "$tmp" "$overlay"
fi

xmx=${NATIVE_CHECK_XMX:-7g}
threads=${NATIVE_CHECK_THREADS:-2}
sig::log "running the native-image builder $graal on $("$java" -version 2>&1 | head -1) (heap $xmx, $threads threads; log: $out/builder.log)"
start=$SECONDS
# GNU time, where it is installed, measures the largest process's peak memory (the builder's JVM).
timer=()
if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -v -o "$out/time.txt"); fi
rm -f "$out/time.txt"
set +e
NATIVE_CHECK_JAVA_OPTS="-Xmx$xmx -XX:ActiveProcessorCount=$threads" NATIVE_CHECK_BUILDER_ARGS="-H:NumberOfThreads=$threads" \
  "${timer[@]}" nice -n 10 "$java" image/NativeCheck.java run "$overlay" "$builder_cp" "$sources" "$out" \
  >"$out/console.log" 2>&1
status=$?
set -e
elapsed=$((SECONDS - start))
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time.txt" 2>/dev/null || true)

# The builder's own report of how far it got: its stage lines ([1/8] Initializing ... [8/8] Creating image).
stage=$(grep -oE '^\[[0-9]/[0-9]\] [A-Za-z ]+' "$out/builder.log" 2>/dev/null | tail -1 || true)
grep -E '^ *[0-9,.]+ (types|reachable|fields|methods)|found reachable|registered for reflection|for code area|for image heap|in total|Peak RSS|Finished generating|Build artifacts|object file' \
  "$out/builder.log" >&2 || true
sig::log "builder exit status $status after ${elapsed} s, peak memory of the largest process ${peak_kb:-?} kB; last stage: ${stage:-none}"
if [ "$status" -ne 0 ] || grep -qE '^(Error|Fatal error)' "$out/builder.log"; then
  grep -E -A25 '^(Error|Fatal error)|Exception' "$out/builder.log" | head -60 >&2 || tail -40 "$out/console.log" >&2
  sig::die "the native-image builder failed (stage: ${stage:-none}); see $out/builder.log"
fi
# With -H:+ExitAfterRelocatableImageWrite the builder lays out the compiled code ([7/8]), writes the object file
# into its temporary directory and returns before the link, printing no [8/8] line and no image size.
case $stage in
  '[7/8] Laying out methods'* | '[8/8] Creating image'*) ;;
  *) sig::die "the builder stopped before the link step (last stage: ${stage:-none})" ;;
esac
grep -q '^Finished generating' "$out/builder.log" || sig::die "the builder did not report that it finished"
sig::log "PASS: the builder reached the link step (last stage: $stage); the link needs GraalVM/Mandrel"
