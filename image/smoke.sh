#!/usr/bin/env bash
# make image-smoke: the image from image/build.sh serves admission requests, run as a container runtime would run it,
# with no container engine (what it proves and what not: image/README.md, "The smoke test"):
#   image/smoke.sh [IMAGE_TAR]   default target/image/sourceip-guard.tar; needs root (chroot, mounts)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=image/rootfs.sh
source image/rootfs.sh
IMAGE=${1:-target/image/sourceip-guard.tar}
FIXTURE=src/test/resources/fixtures/manifests/traefik-service.yaml

[ -f "$IMAGE" ] || sig::die "no image at $IMAGE: build it with make image"
sig::require_tools skopeo:skopeo jq:jq yq:yq curl:curl setpriv:util-linux unshare:util-linux

work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-smoke.XXXXXX")
server=""
cleanup() {
  sig::stop_pid "$server" server # before its root is removed
  # The mounts live in the server's private namespace and end with it; this only guards against surprises.
  if grep -q " $work/" /proc/self/mountinfo; then
    grep " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
t0=$(sig::now)

# --- the image: its layers unpacked in order, its config ---------------------------------------------------
rootfs::unpack "$IMAGE" "$work"
t_unpack=$(sig::since "$t0")
sig::log "image: $image_layers layers; User $user (uid $uid, gid $gid), WorkingDir $wd, Entrypoint ${entrypoint[*]}, Cmd ${cmd[*]:-(none)}"
# An image with an AOT cache must use it: AOTMode=on makes the JVM stop instead of running without it.
aot=""
for arg in "${entrypoint[@]}"; do [[ $arg == -XX:AOTCache=* ]] && aot=${arg#-XX:AOTCache=}; done
[ -z "$aot" ] || java_opts+=" -XX:AOTMode=on"

# --- certs, through the entrypoint ------------------------------------------------------------------------
t1=$(sig::now)
rootfs::run "$(rootfs::env certs)" certs --dir /tmp/tls >"$work/certs.out" 2>&1 \
  || { cat "$work/certs.out" >&2; sig::die "certs through the image's entrypoint failed"; }
for f in ca.crt tls.crt tls.key; do
  [ -s "$tmpdir/tls/$f" ] || { cat "$work/certs.out" >&2; sig::die "certs wrote no /tmp/tls/$f"; }
done
[ "$(stat -c %u "$tmpdir/tls/tls.key")" = "$uid" ] || sig::die "tls.key is not owned by uid $uid"
sig::log "certs: $(grep -v '^Picked up' "$work/certs.out" | tr '\n' ' ')($(sig::since "$t1") s)"

# --- report, through the entrypoint: YAML in, JSON out, exit code 1 (something would be mutated) --------------
t2=$(sig::now)
mkdir -p "$tmpdir/in"
cp "$FIXTURE" "$tmpdir/in/"
chmod -R a+rX "$tmpdir/in"
set +e
rootfs::run "$(rootfs::env report)" report -f "/tmp/in/$(basename "$FIXTURE")" -o json >"$work/report.json" 2>"$work/report.err"
report_rc=$?
set -e
[ "$report_rc" -eq 1 ] || { cat "$work/report.err" "$work/report.json" >&2; sig::die "report exited $report_rc, expected 1 (would mutate)"; }
jq -e '.results[] | select(.rule == "service-external-traffic-policy" and .result == "mutate")' "$work/report.json" >/dev/null \
  || { cat "$work/report.json" >&2; sig::die "report does not say the Service would be mutated"; }
sig::log "report: exit 1, $(jq -c '.summary' "$work/report.json") ($(sig::since "$t2") s)"

# --- the server, and one admission request -----------------------------------------------------------------
sig::free_port port
t3=$(sig::now)
rootfs::run "$(rootfs::server_env "$port")" >"$work/server.log" 2>&1 &
server=$!
url=https://127.0.0.1:$port
sig::wait_ready server "$server" "$work/server.log" "$url/q/health/ready" "$tmpdir/tls/ca.crt"
t_ready=$(sig::since "$t3")

# The process is the image's entrypoint, as the image's user, with no new privileges, in the unpacked root.
status=/proc/$server/status
[ "$(awk '/^Uid:/ { print $2 }' "$status")" = "$uid" ] || sig::die "the server does not run as uid $uid"
[ "$(awk '/^Gid:/ { print $2 }' "$status")" = "$gid" ] || sig::die "the server does not run as gid $gid"
[ "$(awk '/^NoNewPrivs:/ { print $2 }' "$status")" = 1 ] || sig::die "the server may gain privileges"
[ "$(readlink "/proc/$server/root")" = "$root" ] || sig::die "the server does not run in the image's root"
[ "$(readlink "/proc/$server/cwd")" = "$root$wd" ] || sig::die "the server does not run in $wd"
cmdline=$(tr '\0' ' ' <"/proc/$server/cmdline")
[ "$cmdline" = "${entrypoint[*]} " ] || sig::die "the server's command line is '$cmdline', not the image's entrypoint"

uid_request=$(cat /proc/sys/kernel/random/uuid)
yq . "$FIXTURE" | jq --arg uid "$uid_request" '{
    apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
    request: {
      uid: $uid,
      kind: {group: "", version: "v1", kind: "Service"},
      resource: {group: "", version: "v1", resource: "services"},
      requestKind: {group: "", version: "v1", kind: "Service"},
      requestResource: {group: "", version: "v1", resource: "services"},
      name: .metadata.name, namespace: .metadata.namespace, operation: "CREATE",
      userInfo: {username: "dev-user", groups: ["developers", "system:authenticated"]},
      object: ., oldObject: null, dryRun: false,
      options: {apiVersion: "meta.k8s.io/v1", kind: "CreateOptions"}
    }
  }' >"$work/review.json"
t4=$(sig::now)
code=$(curl -sS --cacert "$tmpdir/tls/ca.crt" -o "$work/answer.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary "@$work/review.json" "$url/mutate") || sig::die "POST /mutate failed"
t_request=$(sig::since "$t4")
[ "$code" = 200 ] || { cat "$work/answer.json" >&2; sig::die "POST /mutate answered HTTP $code"; }
grep -q '"patchType":"JSONPatch"' "$work/answer.json" || { cat "$work/answer.json" >&2; sig::die "no \"patchType\":\"JSONPatch\" in the answer"; }
jq -e --arg uid "$uid_request" '.apiVersion == "admission.k8s.io/v1" and .kind == "AdmissionReview"
    and .response.uid == $uid and .response.allowed == true' "$work/answer.json" >/dev/null \
  || { cat "$work/answer.json" >&2; sig::die "the answer is not an allowing AdmissionReview for uid $uid_request"; }
patch=$(jq -r '.response.patch' "$work/answer.json" | base64 -d)
echo "$patch" | jq -e 'any(.[]; .path == "/spec/externalTrafficPolicy" and .value == "Local" and (.op == "add" or .op == "replace"))' >/dev/null \
  || sig::die "the patch does not set spec.externalTrafficPolicy=Local: $patch"
sig::log "POST /mutate: HTTP 200, allowed, patch $patch ($t_request s)"
sig::log "warnings: $(jq -c '.response.warnings // []' "$work/answer.json")"

if grep -qi 'read-only file system' "$work/server.log"; then
  grep -i 'read-only file system' "$work/server.log" >&2
  sig::die "the server tried to write outside /tmp"
fi
sig::stop_pid "$server" server
server=""
grep -q 'sourceip-guard stopped' "$work/server.log" || sig::log "warning: no clean shutdown in the server log"
mkdir -p target/image
cp "$work/server.log" target/image/smoke-server.log
sig::log "the server wrote under /tmp: $(cd "$tmpdir" && find . -mindepth 1 -maxdepth 2 ! -path './in*' ! -path './tls/*' | sort | tr '\n' ' ')"
sig::log "times: unpack ${t_unpack} s, start to ready ${t_ready} s${aot:+ (with the AOT cache $aot)}, total $(sig::since "$t0") s"
sig::log "PASS"
