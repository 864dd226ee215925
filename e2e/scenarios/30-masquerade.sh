# Rule masquerade-config on ip-masq-agent ConfigMaps in kube-system. The steps build on each
# other (kube-system is shared), so they run in this order.

masq_config() { # masq_config NAME KEY CIDR...: writes the manifest to a file, prints its path
  local name=$1 key=$2 file
  shift 2
  file=$(mktemp --suffix=.yaml)
  {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: kube-system\ndata:\n' "$name"
    printf '  %s: |\n    nonMasqueradeCIDRs:\n' "$key"
    for cidr in "$@"; do printf '      - %s\n' "$cidr"; done
    printf '    masqLinkLocal: true\n'
  } >"$file"
  echo "$file"
}

masq_hiding_is_refused() {
  expect_refused kubectl apply -f "$(fixture aks-azure-ip-masq-agent-config.yaml)"
  expect_contains "$refusal" "denied the request: [masquerade-config] kube-system/azure-ip-masq-agent-config " "denial"
  expect_contains "$refusal" "masquerades pod traffic to 0.0.0.0/5, 8.0.0.0/7" "the gaps"
  expect_contains "$refusal" "The complete fix: set data key 'ip-masq-agent' to nonMasqueradeCIDRs: [0.0.0.0/1, 128.0.0.0/3" "the fix"
  expect_contains "$refusal" "and masqLinkLocal: true (55 blocks)." "IMDS kept"
  expect_absent configmap azure-ip-masq-agent-config kube-system
}
scenario "An ip-masq-agent config that hides pod IPs is refused, nothing stored (AKS's own config)" masq_hiding_is_refused

masq_dry_run_gives_the_same_denial() {
  expect_refused kubectl apply --dry-run=server -f "$(fixture aks-azure-ip-masq-agent-config.yaml)"
  expect_contains "$refusal" "[masquerade-config] kube-system/azure-ip-masq-agent-config " "dry-run denial"
  expect_contains "$refusal" "masquerades pod traffic to 0.0.0.0/5" "dry-run denial"
}
scenario "--dry-run=server gives the same denial" masq_dry_run_gives_the_same_denial

masq_value() { # masq_value VALUE: the user config with VALUE as its ip-masq-agent file, as a manifest file
  local file
  file=$(mktemp --suffix=.yaml)
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: azure-ip-masq-agent-config, namespace: kube-system}\n' >"$file"
  printf 'data:\n  ip-masq-agent: |\n    %s\n' "$1" >>"$file"
  echo "$file"
}

masq_typo_is_refused() {
  expect_refused kubectl apply -f "$(masq_value 'nonMasqueradeCidrs: [0.0.0.0/0]')"
  expect_contains "$refusal" "did you mean 'nonMasqueradeCIDRs'?" "typo"
  expect_refused kubectl apply -f "$(masq_value 'nonMasqueradeCIDRs: [10.0.0.1/8, 0.0.0.0/0]')"
  expect_contains "$refusal" "Did you mean 10.0.0.0/8?" "unaligned CIDR"
}
scenario "A config the agent could not read (misspelt field, unaligned CIDR) is refused with the fix" masq_typo_is_refused

complete_list() { # all of IPv4 but IMDS and 168.63.129.16: AKS's own eBPF config, the fix the denials name
  grep -oE '[0-9.]+/[0-9]+$' "$root/src/test/resources/fixtures/ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml"
}

masq_covering_is_stored() {
  expect_refused kubectl apply -f "$(masq_config azure-ip-masq-agent-config ip-masq-agent 0.0.0.0/0)"
  expect_contains "$refusal" "stops masquerading pod traffic to 169.254.169.254/32, 168.63.129.16/32" "IMDS"
  # shellcheck disable=SC2046
  kubectl apply -f "$(masq_config azure-ip-masq-agent-config ip-masq-agent $(complete_list))" >/dev/null
  expect_eq "$(kubectl get configmap azure-ip-masq-agent-config -n kube-system -o name)" \
    "configmap/azure-ip-masq-agent-config" "stored"
}
scenario "0.0.0.0/0 is refused (IMDS); the complete list it names, covering all else, is stored" masq_covering_is_stored

masq_sibling_completes_coverage() {
  # alone, half the address space is not enough
  local half
  half=$(masq_config azure-ip-masq-agent-config ip-masq-agent 0.0.0.0/1)
  expect_refused kubectl apply -f "$half"
  expect_contains "$refusal" "masquerades pod traffic to 128.0.0.0/3, 160.0.0.0/5" "alone"
  # the reconciled config adds the other half (allowed: the user config still covers everything)
  kubectl apply -f "$(masq_config azure-ip-masq-agent-config-reconciled ip-masq-agent-reconciled 128.0.0.0/1)" >/dev/null
  # now the union covers; the webhook's informer sees the sibling a moment after it is stored
  eventually 15 kubectl apply -f "$half" >/dev/null
  expect_contains "$(kubectl get configmap azure-ip-masq-agent-config -n kube-system -o jsonpath='{.data.ip-masq-agent}')" \
    "0.0.0.0/1" "stored"
  # the platform's own config is judged but never refused: dropping its half is stored, with the finding as a warning
  local out
  out=$(kubectl apply -f "$(masq_config azure-ip-masq-agent-config-reconciled ip-masq-agent-reconciled 10.0.0.0/8)" 2>&1)
  expect_contains "$out" "[masquerade-config] admitted: the platform writes azure-ip-masq-agent-config-reconciled" "platform warning"
  expect_contains "$(kubectl get configmap azure-ip-masq-agent-config-reconciled -n kube-system -o jsonpath='{.data.ip-masq-agent-reconciled}')" \
    "10.0.0.0/8" "the platform's write is stored"
  kubectl apply -f "$(masq_config azure-ip-masq-agent-config-reconciled ip-masq-agent-reconciled 128.0.0.0/1)" >/dev/null
}
scenario "A sibling config that completes the coverage makes the first one pass; the platform's own is never refused" masq_sibling_completes_coverage

masq_delete_is_refused() {
  expect_refused kubectl delete configmap azure-ip-masq-agent-config -n kube-system
  expect_contains "$refusal" "deleting kube-system/azure-ip-masq-agent-config" "denial"
  kubectl get configmap azure-ip-masq-agent-config -n kube-system -o name >/dev/null
}
scenario "kubectl delete of the config is refused" masq_delete_is_refused

masq_other_configmaps_are_untouched() {
  local ns=$1
  kubectl create configmap ip-masq-agent -n "$ns" --from-literal=config='nonsense: [' >/dev/null
  kubectl create configmap coredns-custom -n kube-system --from-literal=x=y >/dev/null
}
scenario "ConfigMaps with other names, or outside kube-system, are not judged" masq_other_configmaps_are_untouched cm
