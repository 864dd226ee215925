#!/usr/bin/env bash
# Renders the local overlay for a webhook process listening on https://127.0.0.1:PORT whose serving
# certificate (with an IP SAN 127.0.0.1) is signed by the CA in CA_FILE, and prints it on stdout:
#
#   k8s/overlays/local/render.sh --port PORT --ca-file CA_FILE | kubectl apply -f -
#
#   --port PORT       the webhook's HTTPS port (sourceip-guard.port); default 8443
#   --ca-file FILE    PEM CA certificate(s) for the caBundle; required (make certs writes certs/ca.crt)
#
# It replaces the two placeholders of the overlay and nothing else: the URL prefix https://127.0.0.1:8443/
# (client-config.yaml) and the caBundle value U09VUkNFSVBfR1VBUkRfQ0FfQlVORExF (ca-bundle.yaml). It fails when
# either does not appear once per webhook, so a change to the overlay cannot go unnoticed.
#
# Environment: KUBECTL (default kubectl), which renders with its built-in kustomize.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kubectl=${KUBECTL:-kubectl}

readonly URL_PLACEHOLDER='https://127.0.0.1:8443/'
readonly CA_PLACEHOLDER='U09VUkNFSVBfR1VBUkRfQ0FfQlVORExF'
readonly WEBHOOKS=11

die() { printf 'render.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port=8443
ca_file=
while (($#)); do
  case $1 in
    --port) (($# >= 2)) || usage; port=$2; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    --ca-file) (($# >= 2)) || usage; ca_file=$2; shift 2 ;;
    --ca-file=*) ca_file=${1#*=}; shift ;;
    -h | --help) usage ;;
    *) printf 'render.sh: unknown argument: %s\n' "$1" >&2; usage ;;
  esac
done

[[ $port =~ ^[0-9]+$ ]] && ((10#$port >= 1 && 10#$port <= 65535)) || die "--port must be 1-65535, not '$port'"
port=$((10#$port))
[[ -n $ca_file ]] || die "--ca-file is required (the CA that signed the webhook's serving certificate)"
[[ -r $ca_file ]] || die "cannot read --ca-file $ca_file"
grep -q -- '-----BEGIN CERTIFICATE-----' "$ca_file" || die "$ca_file holds no PEM certificate"
ca_b64=$(base64 -w0 <"$ca_file")

rendered=$("$kubectl" kustomize "$here") || die "kubectl kustomize $here failed"

count() { grep -oF -- "$1" <<<"$rendered" | wc -l; }
n=$(count "$URL_PLACEHOLDER")
((n == WEBHOOKS)) || die "expected $WEBHOOKS webhook URLs starting with $URL_PLACEHOLDER, found $n"
n=$(count "caBundle: $CA_PLACEHOLDER")
((n == WEBHOOKS)) || die "expected $WEBHOOKS caBundle placeholders, found $n"

rendered=${rendered//"$URL_PLACEHOLDER"/"https://127.0.0.1:$port/"}
rendered=${rendered//"caBundle: $CA_PLACEHOLDER"/"caBundle: $ca_b64"}
printf '%s\n' "$rendered"
