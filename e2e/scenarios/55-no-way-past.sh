# No way past the rules: a developer with broad RBAC (the objects, and their status and finalize subresources, as
# some platforms hand out) tries every other write path to an exemption, and to an unjudged write. A case passes
# when the write is refused, or when what is stored still obeys the rules.

kubectl apply -f "$root/e2e/developer-subresources-rbac.yaml" >/dev/null

label_of() { # label_of KIND NAME NAMESPACE KEY: the stored label's value, empty when absent
  kubectl get "$1" "$2" ${3:+-n "$3"} -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"].get("labels",{}).get(sys.argv[1],""))' "$4"
}

# refused_or_not_stored KIND NAME NAMESPACE KEY COMMAND...: the write is refused, or the label it sets is not stored.
refused_or_not_stored() {
  local kind=$1 name=$2 ns=$3 key=$4 out
  shift 4
  if out=$("$@" 2>&1); then
    expect_eq "$(label_of "$kind" "$name" "$ns" "$key")" "" "$kind/$name: $key stored through '$*' ($out)"
  else
    expect_contains "$out" "[exemption]" "$kind/$name refused by the guard"
  fi
}

no_way_past_status_subresources() {
  local ns=$1
  lb_service web "$ns" | kubectl apply -f - >/dev/null 2>&1
  kubectl apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: $ns}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: app, image: registry.k8s.io/pause:3.10}]}
EOF
  local grant='{"metadata":{"labels":{"sourceip-guard.io/exempt":"all"}}}'
  refused_or_not_stored service web "$ns" sourceip-guard.io/exempt \
    dev patch service web -n "$ns" --subresource=status --type merge -p "$grant"
  refused_or_not_stored deployment app "$ns" sourceip-guard.io/exempt \
    dev patch deployment app -n "$ns" --subresource=status --type merge -p "$grant"
  refused_or_not_stored namespace "$ns" "" sourceip-guard.io/exempt \
    dev patch namespace "$ns" --subresource=status --type merge -p "$grant"
  refused_or_not_stored namespace "$ns" "" sourceip-guard.io/mode \
    dev patch namespace "$ns" --subresource=status --type merge -p '{"metadata":{"labels":{"sourceip-guard.io/mode":"audit"}}}'
  # finalize takes a whole Namespace (PUT): the stored one with the label added
  local body
  body=$(kubectl get namespace "$ns" -o json | python3 -c 'import json,sys; n=json.load(sys.stdin); n["metadata"].setdefault("labels",{})["sourceip-guard.io/exempt"]="all"; print(json.dumps(n))')
  refused_or_not_stored namespace "$ns" "" sourceip-guard.io/exempt \
    dev replace --raw "/api/v1/namespaces/$ns/finalize" -f <(printf '%s' "$body")
  # and kube-system cannot be exempted from the masq rule that way either
  refused_or_not_stored namespace kube-system "" sourceip-guard.io/exempt \
    dev patch namespace kube-system --subresource=status --type merge -p '{"metadata":{"labels":{"sourceip-guard.io/exempt":"masquerade-config"}}}'
  # what is stored still obeys the rules
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "the Service is still judged"
}
scenario "Status and finalize subresources: a developer's exemption is refused or not stored" no_way_past_status_subresources past

no_way_past_forged_stamps() {
  local ns=$1
  expect_refused dev annotate namespace "$ns" sourceip-guard.io/exempted-by=kubernetes-admin
  expect_contains "$refusal" "[exemption] annotations sourceip-guard.io/exempted-by and sourceip-guard.io/exempted-at are written by sourceip-guard" "namespace"
  lb_service plain "$ns" | kubectl apply -f - >/dev/null 2>&1
  expect_refused dev annotate service plain -n "$ns" sourceip-guard.io/exempted-at=2026-01-01T00:00:00Z
  expect_contains "$refusal" "[exemption]" "service"
}
scenario "Grant stamps cannot be forged on objects that carry no exemption or mode" no_way_past_forged_stamps stamp

no_way_past_own_namespace() {
  # only the webhook's own objects are left out: a LoadBalancer Service in its namespace is judged
  lb_service public sourceip-guard | kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service public sourceip-guard '{.spec.externalTrafficPolicy}')" Local "judged in the webhook's namespace"
}
scenario "The webhook's namespace is judged like any other (only its own objects are left out)" no_way_past_own_namespace

no_way_past_padding() {
  local ns=$1 file out
  file=$(mktemp --suffix=.json)
  # 600 kB of '<' in an annotation: a 0.6 MB write, a 3.6 MB review (the API server escapes '<' to six bytes)
  python3 - "$ns" >"$file" <<'PY'
import json, sys
print(json.dumps({"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "padded", "namespace": sys.argv[1], "annotations": {"padding": "<" * 600 * 1024}},
  "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "selector": {"app": "x"},
           "ports": [{"port": 80}]}}, ensure_ascii=False).replace("\\u003c", "<"))
PY
  expect_refused kubectl create --raw "/api/v1/namespaces/$ns/services" -f "$file"
  expect_contains "$refusal" "[size] the review is 3.5 MiB, over the 3.0 MiB sourceip-guard reads" "refused with a verdict"
  expect_absent service padded "$ns"
}
scenario "A write padded past the webhook's body limit is refused with a verdict, not let through unjudged" no_way_past_padding pad

no_way_past_unread_keys() {
  local file out
  file=$(mktemp --suffix=.yaml)
  # Azure's agent mounts key ip-masq-agent of this ConfigMap only: coverage under another key counts for nothing
  {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: azure-ip-masq-agent-config, namespace: kube-system}\ndata:\n'
    printf '  ip-masq-agent: |\n    nonMasqueradeCIDRs: [10.0.0.0/8]\n    masqLinkLocal: true\n'
    printf '  config: |\n    nonMasqueradeCIDRs:\n'
    complete_list | sed 's/^/      - /'
    printf '    masqLinkLocal: true\n'
  } >"$file"
  expect_refused kubectl apply -f "$file"
  expect_contains "$refusal" "masquerades pod traffic to" "coverage under key config does not count"
  expect_contains "$refusal" "The complete fix: set data key 'ip-masq-agent' to" "the fix goes to the key the agent reads"
}
scenario "Coverage under a key the agent never reads gives no credit" no_way_past_unread_keys
