# Exemptions and namespace modes: only a cluster admin grants them, through any write path.
# A developer (impersonated) has RBAC to write these objects, so only the webhook can stop them.

developer_rbac

exemptions_dev_cannot_create_an_exempt_service() {
  local ns=$1
  expect_refused dev apply -f <(exempt_service web "$ns" all)
  expect_contains "$refusal" "[exemption] only a cluster admin may grant an exemption, and dev-user is none" "create"
  expect_refused dev apply --dry-run=server -f <(exempt_service web "$ns" all)
  expect_contains "$refusal" "[exemption] only a cluster admin may grant an exemption" "dry-run gives the same verdict"
  expect_refused dev apply --server-side --field-manager=dev -f <(exempt_service web "$ns" all)
  expect_contains "$refusal" "[exemption]" "server-side apply"
  expect_refused dev create -f <(exempt_service web "$ns" all)
  expect_absent service web "$ns"
}
scenario "A developer cannot create an exempt Service (apply, dry-run, server-side apply, create)" exemptions_dev_cannot_create_an_exempt_service exm

exemptions_dev_cannot_add_it_later() {
  local ns=$1
  lb_service web "$ns" | dev apply -f - >/dev/null 2>&1
  expect_refused dev label service web -n "$ns" sourceip-guard.io/exempt=all
  expect_contains "$refusal" "[exemption]" "kubectl label"
  expect_refused dev patch service web -n "$ns" --type merge -p '{"metadata":{"labels":{"sourceip-guard.io/exempt":"service-external-traffic-policy"}}}'
  expect_contains "$refusal" "[exemption]" "kubectl patch"
  expect_refused dev apply -f <(exempt_service web "$ns" all)
  expect_contains "$refusal" "[exemption]" "kubectl apply of the labelled manifest"
  expect_eq "$(jsonpath service web "$ns" '{.metadata.labels}')" "" "no label stored"
}
scenario "A developer cannot add the exempt label later (label, patch, apply)" exemptions_dev_cannot_add_it_later exm

exemptions_dev_cannot_forge_the_stamp() {
  local ns=$1
  lb_service web "$ns" | dev apply -f - >/dev/null 2>&1
  expect_refused dev annotate service web -n "$ns" sourceip-guard.io/exempted-by=e2e-admin
  expect_contains "$refusal" "are written by sourceip-guard" "forged stamp"
}
scenario "A developer cannot forge the grant stamp" exemptions_dev_cannot_forge_the_stamp exm

exemptions_dev_cannot_relax_a_namespace() {
  local ns=$1
  expect_refused dev label namespace "$ns" sourceip-guard.io/mode=audit
  expect_contains "$refusal" "[exemption] only a cluster admin may grant" "audit mode"
  expect_refused dev label namespace "$ns" sourceip-guard.io/mode=audit.masquerade-config
  expect_refused dev label namespace "$ns" sourceip-guard.io/exempt=all
  expect_refused dev create -f - <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns-new, labels: {sourceip-guard.io/mode: audit}}
YAML
  # moving to enforce is always allowed
  dev label namespace "$ns" sourceip-guard.io/mode=enforce >/dev/null
}
scenario "A developer cannot put a namespace in audit mode or exempt it; enforce is allowed" exemptions_dev_cannot_relax_a_namespace exm

exemptions_admin_grants_and_dev_removes() {
  local ns=$1 out
  lb_service web "$ns" | dev apply -f - >/dev/null 2>&1
  out=$(kubectl label service web -n "$ns" sourceip-guard.io/exempt=service-external-traffic-policy 2>&1)
  expect_contains "$out" "[exemption] granted by e2e-admin" "grant warning"
  expect_eq "$(jsonpath service web "$ns" '{.metadata.annotations.sourceip-guard\.io/exempted-by}')" e2e-admin "stamp: who"
  [[ $(jsonpath service web "$ns" '{.metadata.annotations.sourceip-guard\.io/exempted-at}') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] \
    || fail "stamp: when is not RFC 3339"
  # the exemption now lets anyone set Cluster, with a warning naming who granted it
  out=$(dev patch service web -n "$ns" --type merge -p '{"spec":{"externalTrafficPolicy":"Cluster"}}' 2>&1)
  expect_contains "$out" "skipped: exempted by label sourceip-guard.io/exempt=service-external-traffic-policy, granted by e2e-admin" "warning"
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Cluster "exempted"
  # CI re-applying a manifest that keeps the exemption passes
  exempt_service web "$ns" service-external-traffic-policy | dev apply -f - >/dev/null 2>&1
  # removing it is always allowed, and the rule applies again
  dev label service web -n "$ns" sourceip-guard.io/exempt- >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "enforced again after removal"
}
scenario "An admin grants (stamped), the exemption holds, a developer may keep or remove it" exemptions_admin_grants_and_dev_removes exm

exemptions_audit_namespace() {
  local ns=$1 out
  kubectl label namespace "$ns" sourceip-guard.io/mode=audit >/dev/null 2>&1
  # the webhook reads namespace labels from its informer cache: wait until it has seen this one
  eventually 15 audit_seen "$ns" >/dev/null
  out=$(lb_service web "$ns" | dev apply -f - 2>&1)
  expect_contains "$out" "Warning: sourceip-guard: [service-external-traffic-policy] would set spec.externalTrafficPolicy=Local" "kubectl prints the audit warning"
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Cluster "admitted unchanged (the API server's default)"
}
scenario "A namespace in audit mode admits unchanged, and kubectl prints what enforce would do" exemptions_audit_namespace aud

exemptions_admin_may_delete_an_exempt_masq_config() {
  local out
  kubectl label configmap azure-ip-masq-agent-config -n kube-system sourceip-guard.io/exempt=masquerade-config >/dev/null 2>&1
  out=$(kubectl delete configmap azure-ip-masq-agent-config -n kube-system 2>&1)
  expect_contains "$out" "deleted" "delete"
  expect_absent configmap azure-ip-masq-agent-config kube-system
}
scenario "An admin exempts the masq config, and may then delete it" exemptions_admin_may_delete_an_exempt_masq_config
