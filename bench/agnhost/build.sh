#!/usr/bin/env bash
# Prints the path of an agnhost binary (Kubernetes' e2e test image tool), whose
# `agnhost webhook` subcommand is the reference admission webhook the
# Kubernetes e2e suite registers. The benchmarks run it as the peer.
#
# Built the same way as e2e/apiserver/build.sh builds kube-apiserver: from
# Debian bookworm's `kubernetes` source package (upstream v1.20.2, full
# vendor/) with Debian's Go, in Kubernetes' own GOPATH-mode build, GOPROXY=off.
#
# The result is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard/,
# keyed on the sha256 of this script. A cold build takes a few minutes (apt
# source download, code generation, compile); a warm call prints the path at
# once. Editing this script invalidates the cache.
#
# Environment:
#   AGNHOST  path of an existing agnhost binary; skips the build.
# Options:
#   --cached  only print the cached binary's path; exit 3 (and print nothing)
#             if there is none, instead of building it.
#
# Only the binary path goes to stdout; progress goes to stderr, so callers can
# write  agnhost=$(bench/agnhost/build.sh)
set -euo pipefail

log() { printf '[agnhost/build] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ -n ${AGNHOST:-} ]]; then
  [[ -x $AGNHOST ]] || die "AGNHOST=$AGNHOST is not an executable file"
  printf '%s\n' "$AGNHOST"
  exit 0
fi

script=$(readlink -f "${BASH_SOURCE[0]}")
key=$(sha256sum "$script" | cut -c1-16)
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard
binary=$cache_dir/agnhost-k8s-v1.20.2-$key

if [[ -x $binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi
[[ ${1:-} == --cached ]] && exit 3

mkdir -p "$cache_dir"
# A second concurrent caller waits here, then finds the cached binary.
exec 9>"$cache_dir/agnhost-build.lock"
flock 9
if [[ -x $binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi

# --- packages ----------------------------------------------------------------

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

# `apt-get source` needs a deb-src entry: derived from the machine's own deb822
# sources for the release we run on (the same entry e2e/apiserver/build.sh
# writes, so whichever runs first adds it).
ensure_deb_src() {
  if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes$'; then
    return 0
  fi
  local codename entries list=/etc/apt/sources.list.d/sourceip-guard-deb-src.sources
  codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
  entries=$(awk -v codename="$codename" '
    BEGIN { RS = ""; FS = "\n" }
    {
      types = ""; suites = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/)  types = $i
        if ($i ~ /^Suites:/) suites = $i
      }
      if (types ~ /[: ]deb( |$)/ && suites ~ ("[: ]" codename "( |$)")) {
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/) continue
          print ($i ~ /^Types:/ ? "Types: deb-src" : $i)
        }
        print ""
      }
    }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $entries ]] || die "no deb822 source for '$codename' in /etc/apt/sources.list.d/*.sources to derive a deb-src entry from"
  log "adding deb-src entry $list"
  printf '%s\n' "$entries" | "${sudo[@]}" tee "$list" >/dev/null
  need_update=true
}

missing=()
for p in golang-go rsync make dpkg-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=false
((${#missing[@]} == 0)) || need_update=true
ensure_deb_src
if $need_update; then
  log "apt-get update"
  "${sudo[@]}" apt-get update -q >&2
fi
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# --- build -------------------------------------------------------------------

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-agnhost.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
# As root, apt downloads as the unprivileged _apt user, which must be able to write here.
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
cd "$work"

log "fetching Debian source package kubernetes into $work"
apt-get source -q kubernetes >&2
src=$(find . -maxdepth 1 -type d -name 'kubernetes-1.20.*' | head -n1)
[[ -n $src ]] || die "apt-get source kubernetes did not unpack a kubernetes-1.20.* tree (did Debian change the version?)"
[[ -f $src/test/images/agnhost/webhook/main.go ]] \
  || die "$src has no test/images/agnhost/webhook/main.go (did Debian strip the test images?)"

# Unlike the API server build, the vendored github.com/modern-go/reflect2
# v1.0.1 is left as it is: its Go >= 1.18 breakage is in map iteration, which
# json-iterator only does when encoding, and agnhost's webhook only decodes
# with it (AdmissionReview and ConfigMap via the universal deserializer) and
# encodes its answers with encoding/json. bench/load.sh checks every answer.
log "building test/images/agnhost (a few minutes on 2 cores)"
# GOPATH mode through Kubernetes' make (hack/lib/init.sh sets GO111MODULE=off);
# GOPROXY=off guarantees nothing is fetched. -s -w: no symbol table, no DWARF.
(
  cd "$src"
  unset GOFLAGS GOPATH GOBIN
  export GOPROXY=off CGO_ENABLED=0 GOLDFLAGS='-s -w'
  make WHAT=test/images/agnhost >&2
)
built=$src/_output/bin/agnhost
[[ -x $built ]] || die "make finished but $built is missing"

cp -L "$built" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
find "$cache_dir" -maxdepth 1 -name 'agnhost-k8s-v1.20.2-*' ! -name "${binary##*/}" -delete
log "built $("$binary" --version 2>&1 | head -n1) in $(($(date +%s) - start)) s -> $binary"
printf '%s\n' "$binary"
