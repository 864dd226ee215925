#!/usr/bin/env bash
# Adds the JDK's AOT cache, trained inside the image itself, to an image from image/build.sh as one more layer
# (image/README.md, "The AOT cache"):   image/aot.sh IMAGE_TAR   rewrites it in place; needs root (chroot, mounts)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=image/rootfs.sh
source image/rootfs.sh
IMAGE=${1:?usage: image/aot.sh IMAGE_TAR}

work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-aot.XXXXXX")
trap 'rm -rf "$work"' EXIT   # scripts/aot-train.sh stops the server, also when it fails
started=$(date +%s)

rootfs::unpack "$IMAGE" "$work"
# The training command is the entrypoint writing the cache instead of reading it; the certificates come from the
# entrypoint without it.
cache="" train=() plain=()
for arg in "${entrypoint[@]}"; do
  if [[ $arg == -XX:AOTCache=* ]]; then
    cache=${arg#-XX:AOTCache=}
    train+=(-XX:AOTCacheOutput=/tmp/app.aot)
  else
    train+=("$arg")
    plain+=("$arg")
  fi
done
[ -n "$cache" ] || sig::die "the entrypoint (${entrypoint[*]}) names no -XX:AOTCache"
[[ $cache == /* ]] || cache=$wd/$cache

rootfs::run_command "$(rootfs::env certs)" "${plain[@]}" certs --dir /tmp/tls >"$work/certs.out" 2>&1 \
  || { cat "$work/certs.out" >&2; sig::die "certs through the image failed"; }

sig::free_port port
rootfs::run_command "$(rootfs::server_env "$port")" "${train[@]}" >"$work/train.log" 2>&1 &
server=$!
scripts/aot-train.sh "$server" "https://127.0.0.1:$port" "$tmpdir/tls/ca.crt" "$tmpdir/app.aot" "$work/train.log"
wait "$server" 2>/dev/null || true

# The layer: the cache alone, root-owned and world-readable, with the fixed time Jib gives its files.
layer_root=$work/layer
mkdir -p "$layer_root/${cache%/*}"
mv "$tmpdir/app.aot" "$layer_root$cache"
tar -C "$layer_root" --numeric-owner --owner=0 --group=0 --mode=0644 --mtime=@1 --no-recursion \
  -cf "$work/layer.tar" "${cache#/}"
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)

# The docker-archive again: the same files, this layer added to the manifest, and the config with its diff_id
# and a history entry (the config's name is its digest).
archive=$work/archive
mkdir -p "$archive"
tar -xf "$IMAGE" -C "$archive"
mkdir -p "$archive/$diff_id"
mv "$work/layer.tar" "$archive/$diff_id/layer.tar"
old_config=$(jq -r '.[0].Config' "$archive/manifest.json")
jvm=$(jq -r '.config.Labels["io.sourceipguard.jre"] // empty' "$archive/$old_config")
jq --arg diff "sha256:$diff_id" --arg created "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cache "$cache" \
  '.rootfs.diff_ids += [$diff]
   | .history += [{created: $created, created_by: ("image/aot.sh: AOT cache " + $cache + ", trained in this image")}]' \
  "$archive/$old_config" >"$work/config.json"
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
rm "$archive/$old_config"
mv "$work/config.json" "$archive/$config_id.json"
jq --arg config "$config_id.json" --arg layer "$diff_id/layer.tar" '.[0].Config = $config | .[0].Layers += [$layer]' \
  "$archive/manifest.json" >"$work/manifest.json"
mv "$work/manifest.json" "$archive/manifest.json"
(cd "$archive" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort | tar --sort=name -cf "$work/image.tar" -T -)
mv "$work/image.tar" "$IMAGE"
sig::log "added $cache ($(du -m "$layer_root$cache" | cut -f1) MiB, $(gzip -c "$layer_root$cache" | wc -c | awk '{ printf "%.0f", $1 / 1048576 }') MiB compressed) to $IMAGE in $(( $(date +%s) - started )) s${jvm:+; JRE $jvm}"
