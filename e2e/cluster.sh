#!/usr/bin/env bash
# A throwaway Kubernetes control plane for the e2e scenarios: etcd and kube-apiserver on 127.0.0.1, fresh PKI, admin
# kubeconfig; nothing reconciles. Settings (E2E_KUBERNETES, KUBE_BIN_DIR, E2E_START_TIMEOUT): e2e/README.md.
#   e2e/cluster.sh start|stop|env|port DIR
#   e2e/cluster.sh user DIR NAME SUBJECT   DIR/NAME.kubeconfig for a client certificate of SUBJECT
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

# A loopback range: even a webhook registered by service reference can only dial this machine (e2e/README.md).
SERVICE_CIDR=127.64.0.0/24
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'

# sign NAME SUBJECT EXTENSIONS [KEYTYPE]: key + certificate signed by the cluster CA. Client keys are RSA (rsa:2048):
# fabric8, the webhook's Kubernetes client, reads a kubeconfig's PKCS#8 key as RSA unless told otherwise at build time.
sign() {
  local name=$1 subject=$2 ext=$3 keytype=${4:-ec}
  local keyopts=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
  [[ $keytype == ec ]] || keyopts=(-newkey "$keytype")
  openssl req -new "${keyopts[@]}" -nodes \
    -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile <(printf '%b' "$ext") \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr"
}

make_pki() {
  mkdir -p "$pki"
  chmod 700 "$pki"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 -sha256 \
    -subj "/CN=sourceip-guard-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # Go's TLS ignores the CN: clients reach the API server as 127.0.0.1 or localhost, so both must be SANs.
  sign apiserver "/CN=kube-apiserver" \
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n'
  # O=system:masters is bound to cluster-admin by the RBAC bootstrap policy.
  sign admin "/O=system:masters/CN=e2e-admin" "$client_ext" rsa:2048
  # The webhook's own identity: the user name of its ServiceAccount, so that the RBAC of k8s/base,
  # bound to that ServiceAccount, is all it gets (there is no token controller to mint a token).
  sign webhook "/O=system:serviceaccounts/O=system:serviceaccounts:sourceip-guard/CN=system:serviceaccount:sourceip-guard:sourceip-guard" \
    "$client_ext" rsa:2048
  # Service-account token signing pair: kube-apiserver does not start without --service-account-issuer and a
  # signing key (--service-account-signing-key-file, --service-account-key-file, or an external signer).
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

write_kubeconfig() { # write_kubeconfig URL [FILE USER]: a kubeconfig for the admin, or for USER's certificate
  local kc=(kubectl config --kubeconfig "$dir/${2:-kubeconfig}") user=e2e-${3:-admin}
  rm -f "$dir/${2:-kubeconfig}"
  "${kc[@]}" set-cluster sourceip-guard-e2e --server "$1" --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
  "${kc[@]}" set-credentials "$user" --embed-certs >/dev/null \
    --client-certificate "$pki/${3:-admin}.crt" --client-key "$pki/${3:-admin}.key"
  "${kc[@]}" set-context sourceip-guard-e2e --cluster sourceip-guard-e2e --user "$user" >/dev/null
  "${kc[@]}" use-context sourceip-guard-e2e >/dev/null
}

# EXIT trap while starting: on failure, the logs, and whatever was launched is stopped (nothing left behind).
cleanup_failed_start() {
  local rc=$? f
  ((rc == 0)) && return 0
  for f in "$dir/etcd.log" "$dir/apiserver.log"; do
    [[ -s $f ]] || continue
    printf '%s\n' "----- last lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
  sig::stop_pidfile "$dir" apiserver 20
  sig::stop_pidfile "$dir" etcd 20
  exit "$rc"
}

etcd_healthy() { # plain HTTP without curl: bash's /dev/tcp
  local reply
  reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
    printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3" 2>/dev/null) || return 1
  [[ $reply == *'"health":"true"'* ]]
}

cmd_start() {
  for name in etcd apiserver; do
    if [[ -f $dir/$name.pid ]] && sig::ours "$(<"$dir/$name.pid")" "$dir"; then
      sig::die "$name is already running for $dir; run: $0 stop $dir"
    fi
  done

  sig::require_tools openssl:openssl
  local bin
  bin=$("$root/scripts/kube-build.sh")
  PATH=$bin:$PATH

  local timeout=${E2E_START_TIMEOUT:-90}
  local t0=$SECONDS
  # A fresh cluster each time: old objects (and namespaces stuck in Terminating) would leak between runs.
  rm -rf "$pki" "$dir/etcd-data" "$dir"/*.pid "$dir"/*.log "$dir/kubeconfig" "$dir/cluster.env"
  trap cleanup_failed_start EXIT
  make_pki

  local etcd_port etcd_peer_port api_port
  sig::free_port etcd_port
  sig::free_port etcd_peer_port
  sig::free_port api_port

  # Everything on loopback; the data is thrown away after the run, so etcd need not fsync it.
  sig::launch "$dir" etcd etcd --name e2e --data-dir "$dir/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state new --unsafe-no-fsync --log-level warn

  sig::wait_for etcd "$(<"$dir/etcd.pid")" - "$timeout" etcd_healthy "$etcd_port"

  # --endpoint-reconciler-type none: no kubelet or other masters to publish; ServiceAccount admission off: no token
  # controller runs, so it would reject every Pod. No egress selector or proxy: webhook URLs are dialled directly.
  sig::launch "$dir" apiserver kube-apiserver \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$api_port" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode RBAC \
    --enable-admission-plugins MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
    --disable-admission-plugins ServiceAccount \
    --service-account-issuer "https://127.0.0.1:$api_port" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-account-key-file "$pki/sa.pub" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --endpoint-reconciler-type none \
    --profiling=false \
    --v 1

  local url=https://127.0.0.1:$api_port
  write_kubeconfig "$url"
  write_kubeconfig "$url" webhook.kubeconfig webhook
  cat >"$dir/cluster.env" <<EOF
APISERVER_URL=$url
ETCD_URL=http://127.0.0.1:$etcd_port
CA_FILE=$pki/ca.crt
KUBE_BIN_DIR=$bin
EOF

  # Ready: /readyz passes and the bootstrap controller created "default" (which can come after /readyz passes).
  local kc=(kubectl --kubeconfig "$dir/kubeconfig" --request-timeout 5s)
  apiserver_ready() { "${kc[@]}" get --raw /readyz && "${kc[@]}" get namespace default; }
  sig::wait_for kube-apiserver "$(<"$dir/apiserver.pid")" - "$((t0 + timeout - SECONDS))" apiserver_ready
  trap - EXIT
  local version
  version=$("${kc[@]}" get --raw /version | sed -n 's/^ *"gitVersion": "\(.*\)",$/\1/p')
  sig::log "kube-apiserver $version ready in $((SECONDS - t0)) s: $url (etcd pid $(<"$dir/etcd.pid"), kube-apiserver pid $(<"$dir/apiserver.pid"))"
  sig::log "use: eval \"\$($0 env $dir)\""
}

cmd_stop() {
  # The webhooks and the load balancer (stack.sh, failover.sh) first, then the API server, then etcd: the API server
  # then logs no etcd connection errors on the way out.
  local pidfile name
  for pidfile in "$dir"/*.pid; do
    name=$(basename "$pidfile" .pid)
    [[ -f $pidfile && $name != apiserver && $name != etcd ]] && sig::stop_pidfile "$dir" "$name" 20
  done
  sig::stop_pidfile "$dir" apiserver 20
  sig::stop_pidfile "$dir" etcd 20
  sig::log "stopped; logs kept in $dir"
}

cmd_user() { # cmd_user NAME SUBJECT
  [[ -f $dir/cluster.env ]] || sig::die "no cluster in $dir; run: $0 start $dir"
  PATH=$(sed -n 's/^KUBE_BIN_DIR=//p' "$dir/cluster.env"):$PATH
  sign "$1" "$2" "$client_ext"
  write_kubeconfig "$(sed -n 's/^APISERVER_URL=//p' "$dir/cluster.env")" "$1.kubeconfig" "$1"
}

cmd_env() {
  [[ -f $dir/kubeconfig ]] || sig::die "no kubeconfig in $dir; run: $0 start $dir"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
  printf 'export PATH=%q:"$PATH"\n' "$(sed -n 's/^KUBE_BIN_DIR=//p' "$dir/cluster.env")"
}

sub=${1:-}
if [[ $sub == user ]]; then (($# == 4)) || sig::usage; else (($# == 2)) || sig::usage; fi
if [[ $sub == start ]]; then mkdir -p "$2"; fi
[[ -d $2 ]] || sig::die "no such directory: $2"
dir=$(cd "$2" && pwd)
pki=$dir/pki

case $sub in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  port) sig::free_port p && echo "$p" ;;
  user) cmd_user "$3" "$4" ;;
  *) sig::usage ;;
esac
