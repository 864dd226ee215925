# The report command against the live API server: same engine, so it agrees with admission.

# GET /report of the stack's webhook, with an optional bearer token; prints the body, then the status on its own line.
report_get() {
  local auth=()
  [[ -z ${1:-} ]] || auth=(-H "Authorization: Bearer $1")
  curl -s --cacert "$E2E_STACK/webhook-certs/ca.crt" "${auth[@]}" -w '\n%{http_code}' \
    "https://127.0.0.1:$(<"$E2E_STACK/webhook.port")/report"
}

# report_reader_token NAMESPACE: a token of a new ServiceAccount bound to the reader ClusterRole of k8s/base.
report_reader_token() {
  kubectl create serviceaccount reader -n "$1" >/dev/null
  kubectl create clusterrolebinding "report-reader-$1" --clusterrole=sourceip-guard-report-reader \
    --serviceaccount="$1:reader" >/dev/null
  kubectl create token reader -n "$1"
}

report_cluster_agrees_with_admission() {
  local ns_audit ns_exempt out
  ns_audit=$(new_namespace rpa)
  kubectl label namespace "$ns_audit" sourceip-guard.io/mode=audit >/dev/null 2>&1
  eventually 15 audit_seen "$ns_audit" >/dev/null
  lb_service drift "$ns_audit" | kubectl apply -f - >/dev/null 2>&1     # admitted unchanged: Cluster
  ns_exempt=$(new_namespace rpe)
  exempt_service legacy "$ns_exempt" service-external-traffic-policy | kubectl apply -f - >/dev/null 2>&1
  lb_service compliant "$ns_exempt" | kubectl apply -f - >/dev/null 2>&1  # mutated to Local at admission

  set +e
  out=$(java -jar "$root/target/quarkus-app/quarkus-run.jar" report --cluster -o json 2>&1)
  local rc=$?
  set -e
  expect_eq "$rc" 1 "exit code (something would change)"
  row() { # row NAMESPACE NAME: the result of the Service rule for that Service
    printf '%s' "$out" | python3 -c "import json,sys
d=json.load(sys.stdin)
print(''.join(r['result'] for r in d['results'] if r['rule']=='service-external-traffic-policy'
  and r['resource']['kind']=='Service' and r['resource']['namespace']=='$1' and r['resource']['name']=='$2'))"
  }
  expect_eq "$(row "$ns_audit" drift)" mutate "a Service admitted in audit mode would be mutated under enforce"
  expect_eq "$(row "$ns_exempt" legacy)" exempt "the exempted Service"
  expect_eq "$(row "$ns_exempt" compliant)" pass "the Service mutated at admission complies"
  out=$(java -jar "$root/target/quarkus-app/quarkus-run.jar" report --cluster -o policyreport 2>/dev/null || true)
  printf '%s' "$out" | kubectl apply -f - >/dev/null
  expect_eq "$(kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns_audit" -o jsonpath='{.summary.fail}')" 1 \
    "the PolicyReport, applied and read back"
}
scenario "report --cluster agrees with admission (audit drift, exemption, compliant) and its PolicyReports apply" report_cluster_agrees_with_admission

report_background_scan_writes_policy_reports() {
  local ns=$1 body
  exempt_service old "$ns" service-external-traffic-policy | kubectl apply -f - >/dev/null 2>&1
  # the replica holding the Lease writes a PolicyReport for the namespace at its next scan
  policy_report() { kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" -o jsonpath='{.results[0].properties.outcome}' | grep -qx exempt; }
  eventually 30 policy_report >/dev/null
  expect_eq "$(kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
    sourceip-guard "managed-by label"
  expect_eq "$(kubectl get leases.coordination.k8s.io sourceip-guard-report -n sourceip-guard -o name)" \
    "lease.coordination.k8s.io/sourceip-guard-report" "the Lease"
  body=$(report_get "$(report_reader_token "$ns")")
  expect_contains "$body" "\"namespace\":\"$ns\"" "GET /report lists the namespace"
  expect_contains "$body" "\"scannedAt\"" "GET /report carries the scan time"
  # a PolicyReport whose namespace no longer has findings is deleted at the next scan
  kubectl delete service old -n "$ns" >/dev/null
  report_gone() { ! kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" >/dev/null 2>&1; }
  eventually 30 report_gone >/dev/null
}
scenario "The background scan keeps PolicyReports up to date (Lease holder writes, stale ones deleted) and serves GET /report" report_background_scan_writes_policy_reports scan

report_answers_only_those_allowed() {
  local ns=$1 token forged out header payload
  out=$(report_get "")
  expect_eq "${out##*$'\n'}" 401 "no token"
  expect_contains "$out" "needs a bearer token" "the 401 says what to send"
  expect_not_contains "$out" '"results"' "nothing of the scan without a token"
  expect_contains "$(curl -s -o /dev/null -D - --cacert "$E2E_STACK/webhook-certs/ca.crt" \
    "https://127.0.0.1:$(<"$E2E_STACK/webhook.port")/report" | tr 'A-Z' 'a-z')" "www-authenticate: bearer" "the 401 names the scheme"

  # a ServiceAccount token the API server issued, without the grant
  kubectl create serviceaccount nosy -n "$ns" >/dev/null
  token=$(kubectl create token nosy -n "$ns")
  out=$(report_get "$token")
  expect_eq "${out##*$'\n'}" 403 "a ServiceAccount without the grant"
  expect_contains "$out" "system:serviceaccount:$ns:nosy may not get the non-resource URL /report" "the 403 names the user"
  expect_contains "$out" "--clusterrole=sourceip-guard-report-reader" "the 403 says how to grant it"

  # the same claims, signed with a key the API server does not know
  header=${token%%.*}
  payload=${token#*.}
  payload=${payload%%.*}
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$E2E_STACK/forger.key" 2>/dev/null
  forged="$header.$payload.$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$E2E_STACK/forger.key" \
    | base64 -w0 | tr '+/' '-_' | tr -d '=')"
  out=$(report_get "$forged")
  expect_eq "${out##*$'\n'}" 401 "a forged token"
  expect_contains "$out" "not authenticated by the Kubernetes API" "the 401 says why"

  # bound to the reader role: the scan
  out=$(report_get "$(report_reader_token "$ns")")
  expect_eq "${out##*$'\n'}" 200 "a ServiceAccount bound to sourceip-guard-report-reader"
  expect_contains "$out" '"scannedAt"' "the scan"
  if grep -qF -- "$token" "$webhook_log" || grep -qF -- "$forged" "$webhook_log"; then fail "a token is in the webhook log"; fi
}
scenario "GET /report: 401 without a token and with a forged one, 403 without the grant, 200 with the reader ClusterRole (TokenReview, SubjectAccessReview)" report_answers_only_those_allowed rauth
