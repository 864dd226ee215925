#!/usr/bin/env bash
# The root filesystem of an image from image/build.sh, and its entrypoint run the way a container runtime would
# run it, with no container engine: sourced by image/smoke.sh and image/aot.sh (needs root: chroot, mounts).
#   - rootfs::unpack IMAGE_TAR WORK: unpacks the layers in order into WORK/rootfs (whiteouts honoured) and reads the
#     config; sets root, entrypoint, cmd, image_env, wd, user, uid, gid, home, tmpdir (WORK/tmp, mode 1777: the
#     Deployment's emptyDir on /tmp, the only writable path), and java_opts (JAVA_TOOL_OPTIONS=the flags of
#     src/main/jvm/server.options, which the Deployment sets; a caller may add to it);
#   - rootfs::run ENV_FILE ARG...: the entrypoint with ARG... as Cmd, as the image's user, with no new privileges,
#     on a read-only root with /tmp, /proc and a minimal /dev, in a private mount namespace (the mounts end with
#     the process); rootfs::run_command ENV_FILE COMMAND...: the same with another command line than the entrypoint;
#   - rootfs::env NAME VAR=VALUE...: an environment file for those: the image's Env, HOME, java_opts, then the
#     given ones; rootfs::server_env PORT: the server's, on 127.0.0.1:PORT with the pair certs wrote to /tmp/tls
#     and cluster access off.

# Internal: runs inside the private mount namespace, prepares the root and execs the command.
if [ "${1:-}" = __in-namespace ]; then
  shift
  root=$1 tmpdir=$2 uid=$3 gid=$4 wd=$5 envfile=$6
  shift 6
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
  mount --bind "$tmpdir" "$root/tmp"
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t tmpfs -o mode=0755,size=64k,nosuid,noexec tmpfs "$root/dev"
  for dev in null zero full random urandom; do
    touch "$root/dev/$dev"
    mount --bind "/dev/$dev" "$root/dev/$dev"
  done
  mount -o remount,ro,bind "$root/dev"
  mapfile -d '' environment <"$envfile"
  exec env -i "${environment[@]}" setpriv --no-new-privs \
    unshare --root="$root" --wd="$wd" --setgid="$gid" --setuid="$uid" -- "$@"
fi

rootfs_self=$(readlink -f "${BASH_SOURCE[0]}")
# shellcheck source=scripts/lib.sh
source "$(dirname "$rootfs_self")/../scripts/lib.sh"

rootfs::unpack() {
  local image=$1 work=$2 blob_dir manifest config digest layer entry dir base
  [ "$(id -u)" -eq 0 ] || sig::die "needs root (chroot and mounts): run it with sudo"
  rootfs_work=$work
  skopeo --insecure-policy copy -q "docker-archive:$image" "oci:$work/oci:image" >&2
  blob_dir=$work/oci/blobs
  manifest=$blob_dir/$(jq -r '.manifests[0].digest | sub(":"; "/")' "$work/oci/index.json")
  config=$blob_dir/$(jq -r '.config.digest | sub(":"; "/")' "$manifest")
  root=$work/rootfs
  mkdir -p "$root"
  image_layers=0
  for digest in $(jq -r '.layers[].digest' "$manifest"); do
    layer=$blob_dir/${digest/://}
    # Whiteouts first: .wh..wh..opq empties its directory, .wh.NAME deletes NAME from the layers below.
    while IFS= read -r entry; do
      entry=${entry#./}
      dir=$(dirname "$entry") base=$(basename "$entry")
      case "$base" in
        .wh..wh..opq) find "$root/$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true ;;
        .wh.*) rm -rf "${root:?}/$dir/${base#.wh.}" ;;
      esac
    done < <(tar --warning=no-unknown-keyword -tf "$layer" | grep -E '(^|/)\.wh\.' || true)
    tar -xf "$layer" -C "$root" --numeric-owner --same-owner --same-permissions --warning=no-unknown-keyword \
      --exclude='.wh.*' --exclude='*/.wh.*'
    image_layers=$((image_layers + 1))
  done
  jq '.config' "$config" >"$work/config.json"
  rm -rf "$work/oci"
  mapfile -t entrypoint < <(jq -r '(.Entrypoint // [])[]' "$work/config.json")
  mapfile -t cmd < <(jq -r '(.Cmd // [])[]' "$work/config.json")
  mapfile -t image_env < <(jq -r '(.Env // [])[]' "$work/config.json")
  wd=$(jq -r '.WorkingDir // "/"' "$work/config.json")
  wd=${wd:-/}
  user=$(jq -r '.User // ""' "$work/config.json")
  [ -n "$user" ] || sig::die "the image has no User: it would run as root"
  uid=${user%%:*} gid=""
  [[ "$user" == *:* ]] && gid=${user#*:}
  if ! [[ "$uid" =~ ^[0-9]+$ ]]; then
    uid=$(awk -F: -v u="$uid" '$1 == u { print $3 }' "$root/etc/passwd")
  fi
  [ -n "$gid" ] || gid=$(awk -F: -v u="$uid" '$3 == u { print $4 }' "$root/etc/passwd")
  gid=${gid:-$uid}
  [[ "$uid" =~ ^[0-9]+$ ]] && [ "$uid" -ne 0 ] || sig::die "the image's user '$user' is root or unknown"
  [ ${#entrypoint[@]} -gt 0 ] || sig::die "the image has no Entrypoint"
  home=$(awk -F: -v u="$uid" '$3 == u { print $6 }' "$root/etc/passwd")
  tmpdir=$work/tmp
  mkdir -p "$tmpdir"
  chmod 1777 "$tmpdir"
  java_opts="JAVA_TOOL_OPTIONS=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$sig_root/src/main/jvm/server.options" | paste -sd ' ')"
}

# Run as `rootfs::run ... &`, these exec, so that $! is the image's process itself (every step in between execs too).
rootfs::run_command() {
  local envfile=$1
  shift
  local launcher=()
  [ "$BASHPID" = "$$" ] || launcher=(exec)
  "${launcher[@]}" unshare --mount --propagation private -- "$rootfs_self" __in-namespace "$root" "$tmpdir" "$uid" "$gid" \
    "$wd" "$envfile" "$@"
}
rootfs::run() {
  local envfile=$1
  shift
  local args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(${cmd[@]+"${cmd[@]}"})
  rootfs::run_command "$envfile" "${entrypoint[@]}" ${args[@]+"${args[@]}"}
}

# A later entry wins, as with a Pod's env.
rootfs::env() {
  local name=$1
  shift
  printf '%s\0' ${image_env[@]+"${image_env[@]}"} "HOME=${home:-/}" "$java_opts" "$@" >"$rootfs_work/$name.env"
  echo "$rootfs_work/$name.env"
}

rootfs::server_env() {
  rootfs::env server SOURCEIP_GUARD_TLS_CERT_FILE=/tmp/tls/tls.crt SOURCEIP_GUARD_TLS_KEY_FILE=/tmp/tls/tls.key \
    SOURCEIP_GUARD_PORT="$1" QUARKUS_HTTP_HOST=127.0.0.1 SOURCEIP_GUARD_CLUSTER_ENABLED=false
}
