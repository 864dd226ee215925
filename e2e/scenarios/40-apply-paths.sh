# Every way a user writes an object goes through the same rules.

paths_dry_run_returns_the_mutated_object() {
  local ns=$1 out
  out=$(lb_service web "$ns" | kubectl apply --dry-run=server -o jsonpath='{.spec.externalTrafficPolicy}' -f - 2>/dev/null)
  expect_eq "$out" Local "the dry-run answer"
  expect_absent service web "$ns"
}
scenario "kubectl apply --dry-run=server returns the mutated object and stores nothing" paths_dry_run_returns_the_mutated_object dry

paths_server_side_apply() {
  local ns=$1
  lb_service web "$ns" | kubectl apply --server-side --field-manager=e2e -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "after server-side apply"
  # an explicit Cluster through server-side apply is corrected too
  lb_service web "$ns" Cluster | kubectl apply --server-side --force-conflicts --field-manager=e2e -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "after server-side apply of Cluster"
}
scenario "kubectl apply --server-side goes through the same rule" paths_server_side_apply ssa

paths_patch_and_edit() {
  local ns=$1
  lb_service web "$ns" | kubectl apply -f - >/dev/null 2>&1
  kubectl patch service web -n "$ns" --type merge -p '{"spec":{"externalTrafficPolicy":"Cluster"}}' >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "after kubectl patch"
  kubectl patch service web -n "$ns" --type json -p '[{"op":"replace","path":"/spec/externalTrafficPolicy","value":"Cluster"}]' >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "after a JSON patch"
  # a ClusterIP Service turned into a LoadBalancer by a patch is caught on UPDATE
  kubectl create service clusterip plain -n "$ns" --tcp=80:8080 >/dev/null
  kubectl patch service plain -n "$ns" --type merge -p '{"spec":{"type":"LoadBalancer"}}' >/dev/null 2>&1
  expect_eq "$(jsonpath service plain "$ns" '{.spec.externalTrafficPolicy}')" Local "ClusterIP patched to LoadBalancer"
}
scenario "kubectl patch (merge and JSON) cannot set Cluster back" paths_patch_and_edit patch

paths_masq_through_ssa_and_patch() {
  expect_refused kubectl patch configmap azure-ip-masq-agent-config -n kube-system --type merge \
    -p '{"data":{"ip-masq-agent":"nonMasqueradeCIDRs: [10.0.0.0/8]"}}'
  expect_contains "$refusal" "[masquerade-config]" "patch"
  expect_refused kubectl apply --server-side --force-conflicts --field-manager=e2e -f "$(fixture aks-azure-ip-masq-agent-config.yaml)"
  expect_contains "$refusal" "[masquerade-config]" "server-side apply"
}
scenario "kubectl patch and server-side apply of the masq config are judged too" paths_masq_through_ssa_and_patch
