#!/usr/bin/env bash
# make release VERSION=x.y.z: everything a release ships, built offline into target/release/x.y.z/ (needs root, as
# make image), then checked by scripts/release-check.sh. Files, REGISTRY, GROUP, INSECURE: README.md, "Releases".
#   scripts/release.sh x.y.z   logs in target/release/x.y.z-logs/
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

NAME=sourceip-guard
MVN=${MVN:-mvn -B -ntp}
REGISTRY=${REGISTRY:-}
GROUP=${GROUP:-}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VERSION=${1:-}
[ -n "$VERSION" ] || sig::die "usage: make release VERSION=x.y.z (semantic version, e.g. 0.2.0 or 1.0.0-rc.1)"
# Semantic Versioning 2.0.0 (https://semver.org/spec/v2.0.0.html), its grammar without build metadata.
num='(0|[1-9][0-9]*)' pre='(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)'
if [[ $VERSION == *+* ]]; then
  sig::die "VERSION=$VERSION: build metadata (+...) cannot be part of an image tag, which allows only [A-Za-z0-9_.-]; leave it out"
fi
[[ $VERSION =~ ^$num\.$num\.$num(-$pre(\.$pre)*)?$ ]] \
  || sig::die "VERSION=$VERSION is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE] (e.g. 0.2.0, 1.0.0-rc.1)"
[ "$(id -u)" -eq 0 ] || sig::die "the image's AOT cache is trained in a chroot of the image (image/aot.sh): run as root"

out=target/release/$VERSION
logs=target/release/$VERSION-logs
image_name=${REGISTRY:+$REGISTRY/${GROUP:+$GROUP/}}$NAME
rm -rf "$out" "$logs"
mkdir -p "$out" "$logs"
t0=$(sig::now)

# The release notes first: a release without notes fails before anything is built.
section() { # section HEADING: the lines under "## [HEADING]" up to the next "## " heading, outer blank lines dropped
  awk -v h="## [$1]" 'index($0, h) == 1 { on = 1; next } on && /^## / { exit } on' CHANGELOG.md \
    | sed -e '/./,$!d' | tac | sed -e '/./,$!d' | tac
}
notes=$(section "$VERSION")
if [ -n "$notes" ]; then
  from="section [$VERSION]"
else
  notes=$(section Unreleased)
  [ -n "$notes" ] || sig::die "CHANGELOG.md has no entries under [$VERSION] or [Unreleased]: write the release notes first"
  from="section [Unreleased], as CHANGELOG.md has no [$VERSION] yet"
  sig::log "WARNING: CHANGELOG.md has no section [$VERSION]; the notes are [Unreleased]'s. For the release itself," \
    "rename '## [Unreleased]' to '## [$VERSION] - $(date -u +%F)', add an empty [Unreleased] above it, and commit."
fi
printf '# %s %s\n\n%s\n' "$NAME" "$VERSION" "$notes" >"$out/RELEASE-NOTES.md"
sig::log "notes: CHANGELOG.md $from"

# The runnable jar and the SBOM, from one Maven run at this version.
t1=$(sig::now)
$MVN package -DskipTests -Drevision="$VERSION" -Dquarkus.package.jar.type=uber-jar \
  org.cyclonedx:cyclonedx-maven-plugin:makeBom >"$logs/mvn-jar.log" 2>&1 \
  || { tail -40 "$logs/mvn-jar.log" >&2; sig::die "mvn package (runnable jar, SBOM) failed: $logs/mvn-jar.log"; }
cp "target/$NAME-$VERSION-runner.jar" "$out/$NAME-$VERSION.jar"
cp target/sbom.cdx.json "$out/$NAME-$VERSION.cdx.json"
t_jar=$(sig::since "$t1")

# The image, tagged VERSION, as make image builds it (pushing, when asked, comes below: with its digest kept).
t2=$(sig::now)
TAG=$VERSION REGISTRY="" MVN="$MVN" image/build.sh -Drevision="$VERSION" 2>"$logs/image.log" \
  || { tail -40 "$logs/image.log" >&2; sig::die "image/build.sh failed: $logs/image.log"; }
docker_archive=target/image/$NAME.tar
t_image=$(sig::since "$t2")

# Its Debian packages: /var/lib/dpkg/status of the last layer that has one.
t3=$(sig::now)
work=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
for layer in $(tar -xOf "$docker_archive" manifest.json | jq -r '.[0].Layers[]'); do
  tar -xOf "$docker_archive" "$layer" | tar -xOf - var/lib/dpkg/status >"$work/status" 2>/dev/null \
    && cp "$work/status" "$work/dpkg-status" || true
done
[ -s "$work/dpkg-status" ] || sig::die "no layer of $docker_archive holds var/lib/dpkg/status"
{
  printf 'package\tversion\tarchitecture\n'
  awk -F': ' '/^Package:/ { p = $2 } /^Status:/ { s = $2 } /^Version:/ { v = $2 } /^Architecture:/ { a = $2 }
    /^$/ { if (s ~ / installed$/) print p "\t" v "\t" a; p = s = v = a = "" }
    END { if (s ~ / installed$/) print p "\t" v "\t" a }' "$work/dpkg-status" | LC_ALL=C sort
} >"$out/$NAME-$VERSION-debian-packages.tsv"

# The OCI archive: skopeo compresses the layers (gzip) as a registry stores them, so the manifest and its digest are
# what a registry serves once the archive is copied with --preserve-digests. index.json gets the names containerd
# (ctr import, kind load) and docker load look for, manifest.json makes the same file a docker-archive, the layout
# `docker save` writes since Docker 25 (moby/moby PR #44598, image/tarexport/save.go); neither is part of the
# manifest, so the digest stays.
skopeo --insecure-policy copy -q "docker-archive:$docker_archive:$NAME:$VERSION" "oci:$work/oci:$image_name:$VERSION" >&2
layout=$work/oci
digest=$(jq -r '.manifests[0].digest' "$layout/index.json")
full_name=$image_name
[[ $image_name == */* ]] || full_name=docker.io/library/$image_name
jq --arg name "$full_name:$VERSION" '.manifests[0].annotations["io.containerd.image.name"] = $name' \
  "$layout/index.json" >"$work/index.json" && mv "$work/index.json" "$layout/index.json"
jq --arg tag "$image_name:$VERSION" \
  '[{Config: ("blobs/sha256/" + (.config.digest | ltrimstr("sha256:"))), RepoTags: [$tag],
     Layers: [.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]}]' \
  "$layout/blobs/sha256/${digest#sha256:}" >"$layout/manifest.json"
image_tar=$out/$NAME-$VERSION-image.tar
tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$image_tar" \
  oci-layout index.json manifest.json blobs
reference=$image_name:$VERSION@$digest
echo "$reference" >"$out/image.txt"
t_pack=$(sig::since "$t3")

# Each overlay that runs the image, rendered with it pinned (kustomize's images field sets both the tag and the
# digest: kubernetes-sigs/kustomize api/filters/imagetag/updater.go). The local overlay has no Deployment.
t4=$(sig::now)
kubectl=${KUBECTL:-$(scripts/kube-build.sh kubectl)}
for overlay in k8s/overlays/*/; do
  overlay=$(basename "$overlay")
  pin=$work/pin/$overlay
  mkdir -p "$pin"
  cat >"$pin/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$pin" "k8s/overlays/$overlay")
images:
  - name: $NAME
    newName: $image_name
    newTag: "$VERSION"
    digest: $digest
EOF
  "$kubectl" kustomize "$pin" >"$pin/out.yaml" 2>"$pin/err" || { cat "$pin/err" >&2; sig::die "rendering k8s/overlays/$overlay failed"; }
  if grep -qE '^[[:space:]-]*image:[[:space:]]' "$pin/out.yaml"; then
    mv "$pin/out.yaml" "$out/install-$overlay.yaml"
  else
    sig::log "k8s/overlays/$overlay runs no image (a webhook process outside the cluster): not part of the release"
  fi
done
t_render=$(sig::since "$t4")

if [ -n "$REGISTRY" ]; then
  push_args=()
  [ -z "${INSECURE:-}" ] || push_args+=(--dest-tls-verify=false)
  skopeo --insecure-policy copy -q --preserve-digests ${push_args[@]+"${push_args[@]}"} \
    "oci-archive:$image_tar" "docker://$image_name:$VERSION" >&2 \
    || sig::die "pushing to $image_name:$VERSION failed (credentials: image/README.md)"
  served=$(skopeo inspect ${INSECURE:+--tls-verify=false} --format '{{.Digest}}' "docker://$image_name:$VERSION")
  [ "$served" = "$digest" ] || sig::die "$image_name:$VERSION is served with digest $served, not the release's $digest"
  sig::log "pushed $reference"
fi

(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
t5=$(sig::now)
scripts/release-check.sh "$out"
t_check=$(sig::since "$t5")

sig::log "target/release/$VERSION/ ($reference):"
(cd "$out" && ls -l --block-size=K | awk 'NR > 1 { printf "release:   %8s  %s\n", $5, $9 }') >&2
sig::log "times: jar and SBOM ${t_jar} s, image ${t_image} s, Debian list and OCI archive ${t_pack} s," \
  "manifests ${t_render} s, check ${t_check} s, total $(sig::since "$t0") s"
