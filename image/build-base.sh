#!/usr/bin/env bash
# Builds the base image of sourceip-guard: Debian trixie (minbase) with the OpenJDK 25 JRE (the AOT cache of
# image/aot.sh needs 25 or later), all updates from trixie-updates and trixie-security applied, a user sourceip-guard with uid/gid 185 (the Deployment's
# runAsUser), written as a docker-archive tar that Jib reads as `quarkus.jib.base-jvm-image=tar://FILE`.
#
#   image/build-base.sh            prints the path of the tar (built on first use, then cached)
#   image/build-base.sh native     the same without a JRE, for the native executable (quarkus.jib.base-native-image)
#   FORCE=1 image/build-base.sh    rebuilds it (for example to pick up new security updates)
#
# Cached, and from which mirror: image/README.md. Needs root (debootstrap, chroot) and the network to a Debian
# mirror; installs debootstrap with apt-get when it is missing. No container engine is needed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"

SUITE=trixie
JRE_PACKAGE=openjdk-25-jre-headless
FLAVOUR=${1:-jre}
case "$FLAVOUR" in
  jre) PACKAGES=$JRE_PACKAGE ;;
  native) PACKAGES="" ;;
  *) echo "usage: $0 [jre|native]" >&2; exit 2 ;;
esac
APP_UID=185
APP_USER=sourceip-guard

script=$(readlink -f "${BASH_SOURCE[0]}")
key=$(sig::script_key "$script" 12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard
out=$cache/base-$SUITE-$FLAVOUR-$key.tar

if [ -s "$out" ] && [ -z "${FORCE:-}" ]; then
  sig::log "cached: $out"
  echo "$out"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || sig::die "needs root (debootstrap and chroot): run it with sudo, or as root in CI"
sig::require_tools debootstrap:debootstrap sha256sum:coreutils jq:jq

# The mirror apt already uses here (deb822 .sources first, then the one-line format): the first "deb" URI
# whose suites include $1 exactly.
mirror_for() {
  local suite=$1 uri=""
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk -v want="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uris != "" && found == "") { split(uris, u, " "); found = u[1] } types = suites = uris = "" }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      tolower($1) == "types:"  { $1 = ""; types = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "uris:"   { $1 = ""; uris = $0 }
      END { flush(); print found }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk -v want="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == want) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "$uri" | sed 's/^[[:space:]]*//; s/[[:space:]].*$//'
}
MIRROR=${MIRROR:-$(mirror_for "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-$(mirror_for "$SUITE-security")}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
sig::log "mirror $MIRROR, security $SECURITY_MIRROR"

mkdir -p "$cache"
work=$(mktemp -d "$cache/base-build.XXXXXX")
root=$work/rootfs
cleanup() {
  # debootstrap unmounts what it mounted; this is for an interrupted run.
  for m in proc sys dev/pts dev; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
sig::log "debootstrap $SUITE ${PACKAGES:+with $PACKAGES }(a few minutes)"
debootstrap --variant=minbase ${PACKAGES:+--include="$PACKAGES"} "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; sig::die "debootstrap failed (log above)"; }

# Updates and security fixes (debootstrap only reads the release itself), in a private mount namespace so
# that /proc and /dev inside the chroot go away with it.
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$root/etc/apt/sources.list"
sig::log "applying $SUITE-updates and $SUITE-security"
unshare --mount --propagation private bash -euo pipefail -c '
  root=$1
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -ec "
    apt-get update -qq
    apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade >/dev/null
    apt-get clean
    groupadd --gid '"$APP_UID"' '"$APP_USER"'
    useradd --uid '"$APP_UID"' --gid '"$APP_UID"' --home-dir /opt/'"$APP_USER"' --no-create-home \
      --shell /usr/sbin/nologin --comment '"$APP_USER"' '"$APP_USER"'
    if command -v java >/dev/null; then java -version; fi
  "
' _ "$root" >"$work/chroot.log" 2>&1 || { tail -30 "$work/chroot.log" >&2; sig::die "updating the root filesystem failed (log above)"; }
grep -i 'openjdk version\|runtime environment' "$work/chroot.log" | sed 's/^/build-base: /' >&2 || true

# What an image does not need. The dpkg database stays (image scanners read it), and so do the
# licence files under /usr/share/doc/*/copyright.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
  "$root"/var/lib/dpkg/*-old "$root"/var/log/* "$root"/usr/share/man "$root"/usr/share/info \
  "$root"/usr/share/lintian "$root"/usr/share/linda "$root"/tmp/* "$root"/var/tmp/* \
  "$root"/etc/machine-id "$root"/etc/hostname "$root"/etc/resolv.conf
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
chmod 1777 "$root/tmp" "$root/var/tmp"
env_extra=()
labels='{}'
jre=""
if [ "$FLAVOUR" = jre ]; then
  java_home=$(dirname "$(dirname "$(readlink -f "$root/usr/bin/java" | sed "s|^$root||")")")
  case "$java_home" in /usr/lib/jvm/*) ;; *) sig::die "unexpected JAVA_HOME $java_home" ;; esac
  jre=$(chroot "$root" dpkg-query -W -f '${Version}' "$JRE_PACKAGE")
  env_extra=("JAVA_HOME=$java_home")
  labels=$(jq -cn --arg jre "$jre" '{"io.sourceipguard.jre": $jre}')
fi

# The docker-archive ("docker save") layout: manifest.json, the config, one uncompressed layer. Device
# nodes, /proc and /sys stay empty: the container runtime provides them.
img=$work/image
mkdir -p "$img"
mtime=$(date -u -d "@$started" +%Y-%m-%dT%H:%M:%SZ)
(cd "$root" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort) >"$work/top"
tar -C "$root" --numeric-owner --sort=name --xattrs --xattrs-include='security.capability' \
  --exclude='dev/*' --exclude='proc/*' --exclude='sys/*' --exclude='run/*' \
  -cf "$img/layer.tar" -T "$work/top"
diff_id=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
mkdir -p "$img/$diff_id"
mv "$img/layer.tar" "$img/$diff_id/layer.tar"
jq -n --arg created "$mtime" --arg diff "sha256:$diff_id" --arg uid "$APP_UID" --arg suite "$SUITE" \
  --arg packages "$PACKAGES" --argjson labels "$labels" --args '{
    architecture: "amd64", os: "linux", created: $created,
    config: {
      User: $uid,
      Env: (["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"] + $ARGS.positional),
      WorkingDir: "/",
      Labels: ({"org.opencontainers.image.base.name": ("debian:" + $suite)} + $labels)
    },
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created: $created, created_by: ("image/build-base.sh: debootstrap --variant=minbase " + $suite
      + (if $packages == "" then "" else " --include=" + $packages end))}]
  }' ${env_extra[@]+"${env_extra[@]}"} >"$img/config.json"
config_id=$(sha256sum "$img/config.json" | cut -d' ' -f1)
mv "$img/config.json" "$img/$config_id.json"
jq -n --arg config "$config_id.json" --arg layer "$diff_id/layer.tar" --arg tag "sourceip-guard-base:$FLAVOUR-$key" \
  '[{Config: $config, RepoTags: [$tag], Layers: [$layer]}]' >"$img/manifest.json"
tar -C "$img" --sort=name -cf "$work/base.tar" manifest.json "$config_id.json" "$diff_id"
mv "$work/base.tar" "$out"
find "$cache" -maxdepth 1 -name "base-$SUITE-$FLAVOUR-*.tar" ! -path "$out" -delete
sig::log "built $out ($(du -m "$out" | cut -f1) MiB${jre:+, JRE $jre}) in $(( $(date +%s) - started )) s"
echo "$out"
