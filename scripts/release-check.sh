#!/usr/bin/env bash
# Checks a release directory of scripts/release.sh (sums, image digests against a throwaway registry, manifests
# pinned by digest, SBOM, package list; README.md); prints every failed check, exit 1 if any failed:
#   scripts/release-check.sh target/release/x.y.z
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=image/registry.sh
source image/registry.sh

NAME=sourceip-guard
dir=${1:?usage: scripts/release-check.sh target/release/VERSION}
[ -d "$dir" ] || sig::die "$dir is not a directory"
dir=$(realpath "$dir")
VERSION=$(basename "$dir")
for tool in skopeo jq curl docker-registry python3; do
  command -v "$tool" >/dev/null 2>&1 || sig::die "needs $tool (make image installs skopeo, jq, curl and docker-registry)"
done
failures=0
fail() { sig::log "FAIL: $*"; failures=$((failures + 1)); }
pass() { sig::log "ok: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-release-check.XXXXXX")
trap 'registry::stop "$work"; rm -rf "$work"' EXIT

# 1. The sums.
if (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS >&2); then
  unlisted=$(cd "$dir" && comm -23 <(find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort) \
    <(awk '{ sub(/^\*/, "", $2); print $2 }' SHA256SUMS | LC_ALL=C sort))
  [ -z "$unlisted" ] && pass "SHA256SUMS verifies every file" || fail "files not in SHA256SUMS: $unlisted"
else
  fail "sha256sum -c SHA256SUMS"
fi

# 2. The archive and its manifest.
image_tar=$dir/$NAME-$VERSION-image.tar
mkdir -p "$work/layout"
tar -xf "$image_tar" -C "$work/layout" || sig::die "cannot unpack $image_tar"
layout=$work/layout
digest=$(jq -r 'if (.manifests | length) == 1 then .manifests[0].digest else error("not one manifest") end' \
  "$layout/index.json") || sig::die "$image_tar: index.json does not name exactly one manifest"
manifest=$layout/blobs/sha256/${digest#sha256:}
blob_ok() { # blob_ok DIGEST SIZE: the blob is there, that size, with that hash
  local f=$layout/blobs/sha256/${1#sha256:}
  [ -f "$f" ] && [ "$(stat -c %s "$f")" = "$2" ] && [ "sha256:$(sha256sum "$f" | cut -d' ' -f1)" = "$1" ]
}
if blob_ok "$digest" "$(jq -r '.manifests[0].size' "$layout/index.json")"; then
  pass "index.json names manifest $digest, which hashes to it"
else
  fail "the manifest blob of $digest is missing or does not hash to it"
fi
bad_blobs=$(jq -r '(.config, .layers[]) | "\(.digest) \(.size)"' "$manifest" | while read -r d s; do
  blob_ok "$d" "$s" || echo "$d"
done)
[ -z "$bad_blobs" ] && pass "config and $(jq '.layers | length' "$manifest") layers present, sizes and hashes right" \
  || fail "blobs missing or not matching their digest: $bad_blobs"
docker_view=$(jq -c '[.[0].Config, .[0].Layers]' "$layout/manifest.json")
oci_view=$(jq -c 'def blob: "blobs/sha256/" + ltrimstr("sha256:"); [(.config.digest | blob), [.layers[].digest | blob]]' \
  "$manifest")
[ "$docker_view" = "$oci_view" ] && pass "manifest.json (docker load) names the same config and layers" \
  || fail "manifest.json names other blobs than the OCI manifest"

# 3. What a registry serves for it.
registry::start "$work"
if skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false \
  "oci-archive:$image_tar" "docker://$registry/$NAME:$VERSION" >&2; then
  served=$(curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$registry/v2/$NAME/manifests/$VERSION" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
  [ "$served" = "$digest" ] && pass "a registry serves $NAME:$VERSION as $digest" \
    || fail "a registry serves $NAME:$VERSION as '$served', not $digest"
else
  fail "skopeo copy --preserve-digests of $image_tar to a local registry"
fi
registry::stop "$work"

# 4. The manifests name that digest.
shopt -s nullglob
installs=("$dir"/install-*.yaml)
[ ${#installs[@]} -gt 0 ] || fail "no install-*.yaml"
for f in "${installs[@]}"; do
  images=$(sed -n 's/^[[:space:]-]*image:[[:space:]]*//p' "$f" | tr -d "\"'" | LC_ALL=C sort -u)
  others=$(grep -vE "^([^@ ]+/)?$NAME:${VERSION//./\\.}@$digest\$" <<<"$images" || true)
  if [ -z "$images" ]; then
    fail "$(basename "$f") names no image"
  elif [ -n "$others" ]; then
    fail "$(basename "$f") names $others, not $NAME:$VERSION@$digest"
  else
    pass "$(basename "$f") runs $images"
  fi
done

# 5. The SBOM, against the jars the image runs.
for layer in $(jq -r '.layers[].digest | ltrimstr("sha256:")' "$manifest"); do
  tar --warning=no-unknown-keyword -tzf "$layout/blobs/sha256/$layer" | sed -n 's:^\(\./\)\{0,1\}opt/sourceip-guard/lib/[^/]*/\([^/]*\.jar\)$:\2:p'
done | LC_ALL=C sort -u >"$work/image-jars"
python3 scripts/sbom-check.py "$dir/$NAME-$VERSION.cdx.json" "$VERSION" "$work/image-jars" >&2 || failures=$((failures + 1))

# 6. The Debian packages and the notes.
packages=$dir/$NAME-$VERSION-debian-packages.tsv
if grep -qP '^openjdk-25-jre-headless\t' "$packages"; then
  pass "$(($(wc -l <"$packages") - 1)) Debian packages listed, the JRE among them"
else
  fail "$(basename "$packages") lacks openjdk-25-jre-headless"
fi
[ "$(grep -c . "$dir/RELEASE-NOTES.md")" -gt 1 ] && pass "release notes" || fail "RELEASE-NOTES.md is empty"

[ "$failures" -eq 0 ] || sig::die "$failures check(s) failed for $dir"
sig::log "all checks passed for $dir"
