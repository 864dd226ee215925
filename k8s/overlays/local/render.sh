#!/usr/bin/env bash
# Renders the local overlay for a webhook on https://127.0.0.1:PORT signed by CA_FILE (k8s/README.md):
#   k8s/overlays/local/render.sh [--port PORT (8443)] --ca-file CA_FILE | kubectl apply -f -
# Fails unless each placeholder appears once per webhook. KUBECTL [kubectl] renders it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/../../../scripts/lib.sh"
kubectl=${KUBECTL:-kubectl}

readonly URL_PLACEHOLDER='https://127.0.0.1:8443/'
readonly CA_PLACEHOLDER='U09VUkNFSVBfR1VBUkRfQ0FfQlVORExF'
readonly WEBHOOKS=11

port=8443
ca_file=
while (($#)); do
  case $1 in
    --port) (($# >= 2)) || sig::usage; port=$2; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    --ca-file) (($# >= 2)) || sig::usage; ca_file=$2; shift 2 ;;
    --ca-file=*) ca_file=${1#*=}; shift ;;
    -h | --help) sig::usage 0 ;;
    *) sig::log "unknown argument: $1"; sig::usage ;;
  esac
done

[[ $port =~ ^[0-9]+$ ]] && ((10#$port >= 1 && 10#$port <= 65535)) || sig::die "--port must be 1-65535, not '$port'"
port=$((10#$port))
[[ -n $ca_file ]] || sig::die "--ca-file is required (the CA that signed the webhook's serving certificate)"
[[ -r $ca_file ]] || sig::die "cannot read --ca-file $ca_file"
grep -q -- '-----BEGIN CERTIFICATE-----' "$ca_file" || sig::die "$ca_file holds no PEM certificate"
ca_b64=$(base64 -w0 <"$ca_file")

rendered=$("$kubectl" kustomize "$here") || sig::die "kubectl kustomize $here failed"

count() { grep -oF -- "$1" <<<"$rendered" | wc -l; }
n=$(count "$URL_PLACEHOLDER")
((n == WEBHOOKS)) || sig::die "expected $WEBHOOKS webhook URLs starting with $URL_PLACEHOLDER, found $n"
n=$(count "caBundle: $CA_PLACEHOLDER")
((n == WEBHOOKS)) || sig::die "expected $WEBHOOKS caBundle placeholders, found $n"

rendered=${rendered//"$URL_PLACEHOLDER"/"https://127.0.0.1:$port/"}
rendered=${rendered//"caBundle: $CA_PLACEHOLDER"/"caBundle: $ca_b64"}
printf '%s\n' "$rendered"
