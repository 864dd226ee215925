# The real install, applied for real: the stack runs k8s/overlays/self-signed (e2e/stack.sh install: Deployment,
# Service, RBAC, CRDs and webhook configurations, every webhook pointed at the local process, since the Deployment
# cannot run without a kubelet), so every scenario before this one ran against it. Here: the audit overlay applied
# over it and back, and the masq webhook's matchConditions at work in the API server.

install_audit_and_back() {
  local mode='{.spec.template.spec.containers[0].env[?(@.name=="SOURCEIP_GUARD_MODE")].value}' ns
  "$root/e2e/stack.sh" install "$E2E_STACK" audit 2>/dev/null
  expect_eq "$(jsonpath deployment sourceip-guard sourceip-guard "$mode")" audit "the audit overlay's Deployment is stored"
  expect_eq "$(kubectl get validatingwebhookconfiguration sourceip-guard -o jsonpath='{.webhooks[*].name}')" \
    "masq.sourceip-guard.io exempt.sourceip-guard.io namespaces-exempt.sourceip-guard.io namespaces-mode.sourceip-guard.io stamps.sourceip-guard.io allow-lists.sourceip-guard.io" \
    "its validating webhooks"
  # its webhooks call the webhook process (which runs enforce: the audit mode is the Deployment's environment)
  ns=$(new_namespace inst)
  lb_service web "$ns" | kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "a Service through the audit install's webhooks"
  "$root/e2e/stack.sh" install "$E2E_STACK" self-signed 2>/dev/null
  expect_eq "$(jsonpath deployment sourceip-guard sourceip-guard "$mode")" "" "back on self-signed: no mode override"
}
scenario "k8s/overlays/audit applied for real over self-signed, its webhooks called; self-signed again after" install_audit_and_back

# reviews_seen counts what reached the webhook. A ConfigMap in kube-system outside the masq names is decided by the
# API server's CEL and never sent; a listed one is. The unlisted write goes first: had it been sent, it would be
# counted before the listed one is.
install_match_conditions_keep_other_configmaps_away() {
  local before
  before=$(reviews_seen 'kind="ConfigMap"')
  kubectl create configmap "not-a-masq-config-$RANDOM" -n kube-system --from-literal=log.override='log' --dry-run=server -o name >/dev/null
  kubectl apply --dry-run=server -f "$(fixture upstream-ip-masq-agent-config.yaml)" >/dev/null 2>&1 || true
  at_least() { (($(reviews_seen 'kind="ConfigMap"') >= $1)); }
  eventually 10 at_least $((before + 1)) >/dev/null
  expect_eq "$(reviews_seen 'kind="ConfigMap"')" $((before + 1)) "ConfigMap reviews the webhook answered (only ip-masq-agent)"
}
scenario "matchConditions live: a kube-system ConfigMap outside the masq names never reaches the webhook, a listed one does" install_match_conditions_keep_other_configmaps_away
