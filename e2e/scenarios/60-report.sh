# The report command against the live API server: same engine, so it agrees with admission.

report_cluster_agrees_with_admission() {
  local ns_audit ns_exempt out
  ns_audit=$(new_namespace rpa)
  kubectl label namespace "$ns_audit" sourceip-guard.io/mode=audit >/dev/null 2>&1
  audit_seen() { lb_service probe "$ns_audit" | kubectl apply --dry-run=server -f - 2>&1 | grep -q 'audit mode'; }
  eventually 15 audit_seen >/dev/null
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
  local ns port body
  ns=$(new_namespace scan)
  exempt_service old "$ns" service-external-traffic-policy | kubectl apply -f - >/dev/null 2>&1
  # the replica holding the Lease writes a PolicyReport for the namespace at its next scan
  policy_report() { kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" -o jsonpath='{.results[0].properties.outcome}' | grep -qx exempt; }
  eventually 30 policy_report >/dev/null
  expect_eq "$(kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
    sourceip-guard "managed-by label"
  expect_eq "$(kubectl get leases.coordination.k8s.io sourceip-guard-report -n sourceip-guard -o name)" \
    "lease.coordination.k8s.io/sourceip-guard-report" "the Lease"
  port=$(<"$E2E_STACK/webhook.port")
  body=$(curl -sf --cacert "$E2E_STACK/webhook-certs/ca.crt" "https://127.0.0.1:$port/report")
  expect_contains "$body" "\"namespace\":\"$ns\"" "GET /report lists the namespace"
  expect_contains "$body" "\"scannedAt\"" "GET /report carries the scan time"
  # a PolicyReport whose namespace no longer has findings is deleted at the next scan
  kubectl delete service old -n "$ns" >/dev/null
  report_gone() { ! kubectl get policyreports.wgpolicyk8s.io sourceip-guard -n "$ns" >/dev/null 2>&1; }
  eventually 30 report_gone >/dev/null
}
scenario "The background scan keeps PolicyReports up to date (Lease holder writes, stale ones deleted) and serves GET /report" report_background_scan_writes_policy_reports
