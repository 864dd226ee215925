#!/usr/bin/env bash
# make image / make image-native: the container image with Jib and no Docker daemon, into target/image/:
#   image/build.sh [--native] [MVN ARG...]   TAG, REGISTRY, GROUP: image/README.md, "Building"
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
sig_log_tag=image
# shellcheck source=image/registry.sh
source image/registry.sh
MVN=${MVN:-mvn -B -ntp}
NAME=sourceip-guard
OUT=target/image/$NAME.tar
# The project version: the revision property of pom.xml (make release passes -Drevision and TAG).
VERSION=$(sed -n 's:.*<revision>\(.*\)</revision>.*:\1:p' pom.xml | head -1)
TAG=${TAG:-${VERSION:-latest}}
REGISTRY=${REGISTRY:-}
GROUP=${GROUP:-}

native=""
latest=latest
if [ "${1:-}" = --native ]; then
  native=1
  shift
  TAG=$TAG-native
  latest=native
  OUT=target/image/$NAME-native.tar
  if ! command -v native-image >/dev/null 2>&1 && [ ! -x "${GRAALVM_HOME:-/nonexistent}/bin/native-image" ] \
    && ! printf '%s\n' "$@" | grep -q 'quarkus.native.container-build=true'; then
    sig::die "no native-image (GraalVM or Mandrel: put it on the PATH or set GRAALVM_HOME), and no" \
      "-Dquarkus.native.container-build=true (which needs docker or podman); see image/NATIVE.md"
  fi
fi

had_registry=$(command -v docker-registry || true)
sig::require_tools skopeo:skopeo jq:jq curl:curl docker-registry:docker-registry
# Debian's package also enables a system-wide registry on :5000 (all interfaces); this script runs its own.
if [ -z "$had_registry" ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 \
    && sig::log "disabled the docker-registry service the package enabled (this script starts its own on 127.0.0.1)" || true
fi
scripts/require-tools.sh build

t0=$(sig::now)
base=$(image/build-base.sh ${native:+native})
if [ -n "$native" ]; then
  base_args=(-Dnative -Dquarkus.native.enabled=true "-Dquarkus.jib.base-native-image=tar://$base")
else
  base_args=("-Dquarkus.jib.base-jvm-image=tar://$base" "-Dquarkus.jib.jvm-additional-arguments=-XX:AOTCache=/opt/$NAME/app.aot")
fi
t_base=$(sig::since "$t0")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-image.XXXXXX")
trap 'registry::stop "$tmp"; rm -rf "$tmp"' EXIT
registry::start "$tmp"
target_args=("-Dquarkus.container-image.image=$registry/$NAME:$TAG" -Dquarkus.container-image.insecure=true)

# The image: `java -XX:AOTCache=app.aot -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar quarkus-run.jar` in
# /opt/sourceip-guard as uid 185 (native: `./application` in /work, which Quarkus does not let us choose). Nothing is written
# outside /tmp (java.io.tmpdir), so readOnlyRootFilesystem works with an emptyDir on /tmp. Heap and GC come from
# JAVA_TOOL_OPTIONS in the Deployment, not from the image.
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$OUT")"
t1=$(sig::now)
# shellcheck disable=SC2086
nice -n 10 $MVN package -DskipTests \
  -Dquarkus.container-image.build=true \
  -Dquarkus.container-image.push=true \
  "${target_args[@]}" \
  -Dquarkus.container-image.labels.\"org.opencontainers.image.title\"="$NAME" \
  -Dquarkus.container-image.labels.\"org.opencontainers.image.version\"="$TAG" \
  -Dquarkus.container-image.labels.\"org.opencontainers.image.revision\"="$revision" \
  "${base_args[@]}" \
  -Dquarkus.jib.user=185 \
  -Dquarkus.jib.working-directory=/opt/$NAME \
  -Dquarkus.jib.ports=8443 \
  "$@" >target/image/mvn.log 2>&1 || { tail -60 target/image/mvn.log >&2; sig::die "mvn package with Jib failed (log above, all of it in target/image/mvn.log)"; }
grep -E 'Pushed container image|Created container image' target/image/mvn.log | sed 's/^.*INFO\] */image: /' >&2 || true
t_mvn=$(sig::since "$t1")

t2=$(sig::now)
rm -f "$OUT"
skopeo --insecure-policy copy -q --src-tls-verify=false \
  "docker://$registry/$NAME:$TAG" "docker-archive:$OUT:$NAME:$TAG" --additional-tag "$NAME:$latest" >&2
compressed=$(skopeo inspect --raw --tls-verify=false "docker://$registry/$NAME:$TAG" | jq '[.layers[].size] | add')
registry::stop "$tmp"
t_export=$(sig::since "$t2")

t_aot=0
if [ -z "$native" ]; then
  t3=$(sig::now)
  image/aot.sh "$OUT"
  last_layer=$(tar -xOf "$OUT" manifest.json | jq -r '.[0].Layers[-1]')
  compressed=$((compressed + $(tar -xOf "$OUT" "$last_layer" | gzip -c | wc -c)))
  t_aot=$(sig::since "$t3")
fi

tar -xOf "$OUT" manifest.json >"$tmp/manifest.json"
tar -xOf "$OUT" "$(jq -r '.[0].Config' "$tmp/manifest.json")" >"$tmp/config.json"
jq -c '.config | {User, WorkingDir, Entrypoint, Cmd, ExposedPorts}' "$tmp/config.json" | sed 's/^/image: config /' >&2
cp "$tmp/config.json" "${OUT%.tar}.config.json"
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
sig::log "wrote $OUT ($NAME:$TAG, $NAME:$latest): $(mib "$(stat -c %s "$OUT")") uncompressed," \
  "$(mib "$compressed") compressed layers (what a registry stores and a node pulls)"

if [ -n "$REGISTRY" ]; then
  dest=$REGISTRY/${GROUP:+$GROUP/}$NAME
  push_args=()
  [ -z "${INSECURE:-}" ] || push_args+=(--dest-tls-verify=false)
  for tag in "$TAG" "$latest"; do
    skopeo --insecure-policy copy -q ${push_args[@]+"${push_args[@]}"} "docker-archive:$OUT" "docker://$dest:$tag" >&2 \
      || sig::die "pushing to $dest:$tag failed (credentials: image/README.md)"
    sig::log "pushed $dest:$tag"
  done
fi
sig::log "times: base ${t_base} s, mvn package + Jib ${t_mvn} s, export ${t_export} s, AOT cache ${t_aot} s, total $(sig::since "$t0") s"
