#!/usr/bin/env bash
# Builds the container image of sourceip-guard with Jib (through Quarkus), with no Docker daemon:
#   1. image/build-base.sh gives the base: Debian trixie + OpenJDK 25 JRE, user 185 (built once, then cached);
#   2. a throwaway registry (Debian's docker-registry) listens on a free 127.0.0.1 port, with its storage in a
#      temporary directory: Quarkus' Jib extension writes images to a registry or a Docker daemon, never to a file;
#   3. `mvn package` builds the application and Jib pushes the image to that registry;
#   4. skopeo copies it out to target/image/sourceip-guard.tar (docker-archive: `docker load`, `podman load`,
#      `kind load image-archive`, `ctr images import` and `skopeo copy docker-archive:...` all read it);
#   5. the registry is stopped and its storage removed;
#   6. image/aot.sh trains the JDK's AOT cache inside that image and adds it as a last layer (the entrypoint names
#      it with -XX:AOTCache): ready in about a second instead of about two.
#
#   image/build.sh                     (make image) target/image/sourceip-guard.tar, tags VERSION and latest
#   TAG=1.2.3 image/build.sh           another tag than the project version
#   REGISTRY=HOST[:PORT] [GROUP=team] image/build.sh
#                                      the same, then skopeo copies that tar to REGISTRY[/GROUP]/sourceip-guard:TAG
#                                      and :latest; credentials: image/README.md
#   image/build.sh --native            (make image-native) the native executable on a base without a JRE:
#                                      target/image/sourceip-guard-native.tar, tags VERSION-native and native; needs
#                                      GraalVM/Mandrel (native-image on the PATH or GRAALVM_HOME), or docker/podman
#                                      with -Dquarkus.native.container-build=true
#   image/build.sh [--native] ARG...   further ARGs go to mvn
#
# Needs root for the first base build (debootstrap); installs docker-registry and skopeo with apt-get when missing.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
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

log() { echo "image: $*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

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
    die "no native-image (GraalVM or Mandrel: put it on the PATH or set GRAALVM_HOME), and no" \
      "-Dquarkus.native.container-build=true (which needs docker or podman); see image/NATIVE.md"
  fi
fi

missing=()
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's package also enables a system-wide registry on :5000 (all interfaces); this script runs its own.
  if printf '%s\n' "${missing[@]}" | grep -qx docker-registry && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 \
      && log "disabled the docker-registry service the package enabled (this script starts its own on 127.0.0.1)" || true
  fi
fi
scripts/require-tools.sh build

t0=$(now)
base=$(image/build-base.sh ${native:+native})
if [ -n "$native" ]; then
  base_args=(-Dnative -Dquarkus.native.enabled=true "-Dquarkus.jib.base-native-image=tar://$base")
else
  base_args=("-Dquarkus.jib.base-jvm-image=tar://$base" "-Dquarkus.jib.jvm-additional-arguments=-XX:AOTCache=/opt/$NAME/app.aot")
fi
t_base=$(since "$t0")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-image.XXXXXX")
trap 'stop_registry "$tmp"; rm -rf "$tmp"' EXIT
start_registry "$tmp"
target_args=("-Dquarkus.container-image.image=$registry/$NAME:$TAG" -Dquarkus.container-image.insecure=true)

# The image: `java -XX:AOTCache=app.aot -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar quarkus-run.jar` in
# /opt/sourceip-guard as uid 185 (native: `./application` in /work, which Quarkus does not let us choose). Nothing is written
# outside /tmp (java.io.tmpdir), so readOnlyRootFilesystem works with an emptyDir on /tmp. Heap and GC come from
# JAVA_TOOL_OPTIONS in the Deployment, not from the image.
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$OUT")"
t1=$(now)
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
  "$@" >target/image/mvn.log 2>&1 || { tail -60 target/image/mvn.log >&2; die "mvn package with Jib failed (log above, all of it in target/image/mvn.log)"; }
grep -E 'Pushed container image|Created container image' target/image/mvn.log | sed 's/^.*INFO\] */image: /' >&2 || true
t_mvn=$(since "$t1")

t2=$(now)
rm -f "$OUT"
skopeo --insecure-policy copy -q --src-tls-verify=false \
  "docker://$registry/$NAME:$TAG" "docker-archive:$OUT:$NAME:$TAG" --additional-tag "$NAME:$latest" >&2
compressed=$(skopeo inspect --raw --tls-verify=false "docker://$registry/$NAME:$TAG" | jq '[.layers[].size] | add')
stop_registry "$tmp"
t_export=$(since "$t2")

t_aot=0
if [ -z "$native" ]; then
  t3=$(now)
  image/aot.sh "$OUT"
  last_layer=$(tar -xOf "$OUT" manifest.json | jq -r '.[0].Layers[-1]')
  compressed=$((compressed + $(tar -xOf "$OUT" "$last_layer" | gzip -c | wc -c)))
  t_aot=$(since "$t3")
fi

tar -xOf "$OUT" manifest.json >"$tmp/manifest.json"
tar -xOf "$OUT" "$(jq -r '.[0].Config' "$tmp/manifest.json")" >"$tmp/config.json"
jq -c '.config | {User, WorkingDir, Entrypoint, Cmd, ExposedPorts}' "$tmp/config.json" | sed 's/^/image: config /' >&2
cp "$tmp/config.json" "${OUT%.tar}.config.json"
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
log "wrote $OUT ($NAME:$TAG, $NAME:$latest): $(mib "$(stat -c %s "$OUT")") uncompressed," \
  "$(mib "$compressed") compressed layers (what a registry stores and a node pulls)"

if [ -n "$REGISTRY" ]; then
  dest=$REGISTRY/${GROUP:+$GROUP/}$NAME
  push_args=()
  [ -z "${INSECURE:-}" ] || push_args+=(--dest-tls-verify=false)
  for tag in "$TAG" "$latest"; do
    skopeo --insecure-policy copy -q ${push_args[@]+"${push_args[@]}"} "docker-archive:$OUT" "docker://$dest:$tag" >&2 \
      || die "pushing to $dest:$tag failed (credentials: image/README.md)"
    log "pushed $dest:$tag"
  done
fi
log "times: base ${t_base} s, mvn package + Jib ${t_mvn} s, export ${t_export} s, AOT cache ${t_aot} s, total $(since "$t0") s"
