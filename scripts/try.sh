#!/usr/bin/env bash
# make try: sends example AdmissionReviews (bench/bodies/, real manifests wrapped as the API server would) to the
# webhook that `make run` started, and prints each answer for a person: verdict, message, warnings, and the JSON
# Patch decoded from base64.
#
#   scripts/try.sh [URL]      default https://localhost:8443; trusts certs/ca.crt (make certs)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
url=${1:-https://localhost:8443}
ca=${CERTS:-$sig_root/certs}/ca.crt
sig::require_tools curl:curl jq:jq
[[ -f $ca ]] || sig::die "no $ca; start the webhook with: make run"

show() { # show PATH BODY
  local body=$sig_root/bench/bodies/$2.json answer
  if ! answer=$(curl -sS --fail-with-body --cacert "$ca" -H 'Content-Type: application/json' --data-binary "@$body" "$url$1"); then
    sig::die "no answer from $url$1 (is make run running?): $answer"
  fi
  jq -r --arg path "$1" '"POST \($path)  \(.request.kind.kind) \(.request.namespace)/\(.request.name) (\(.request.operation))"' "$body"
  jq -r '.response
    | "  allowed:  \(.allowed)",
      (if .status.message then "  message:  \(.status.message)" else empty end),
      (.warnings // [] | .[] | "  warning:  \(.)"),
      (if .patch then (.patch | @base64d | fromjson | .[] | "  patch:    \(.op) \(.path) \(.value | tojson)") else empty end)' <<<"$answer"
  echo
}

show /mutate service-mutate
show /mutate ingress-mutate
show /validate masq-denied
show /validate masq-allowed
