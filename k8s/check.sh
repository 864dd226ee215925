#!/usr/bin/env bash
# Checks the Kustomize tree under k8s/ (CI runs it): renders every overlay, checks the manifests for what
# k8s/README.md promises and, with KUBECONFIG set, server-side dry-runs them (creating only the namespace
# sourceip-guard if missing). KUBECTL [kubectl, v1.27+], VERBOSE=1 lists every check: k8s/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kubectl=${KUBECTL:-kubectl}
overlays=(self-signed cert-manager audit legacy local admission-policies)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

failures=0
fail() { printf 'FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }
ok() { printf 'ok   %s\n' "$*"; }

for o in "${overlays[@]}"; do
  if "$kubectl" kustomize "$here/overlays/$o" >"$out/$o.yaml" 2>"$out/$o.err"; then
    ok "render overlays/$o ($(grep -c '^kind:' "$out/$o.yaml") objects)"
  else
    fail "render overlays/$o:"
    sed 's/^/       /' "$out/$o.err" >&2
  fi
done
if ((failures)); then
  printf '%d overlay(s) do not render\n' "$failures" >&2
  exit 1
fi

# expect OVERLAY COUNT PATTERN DESCRIPTION: PATTERN (grep basic regex) matches COUNT lines of the overlay.
# Quiet when it holds (VERBOSE=1 lists every check).
checks=0
failures_before_checks=$failures
expect() {
  local o=$1 want=$2 pattern=$3 what=$4 got
  checks=$((checks + 1))
  got=$(grep -c -- "$pattern" "$out/$o.yaml" || true)
  if [[ $got != "$want" ]]; then
    fail "$o: $what: expected $want, found $got ('$pattern')"
  elif [[ -n ${VERBOSE:-} ]]; then
    ok "$o: $what"
  fi
}

# The Deployment's JVM flags are src/main/jvm/server.options, with the heap as a share of the memory limit.
jvm_flags=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/^-Xmx.*/-XX:MaxRAMPercentage=50/' "$here/../src/main/jvm/server.options" | paste -sd ' ')
# java_tool_options OVERLAY: the value of JAVA_TOOL_OPTIONS, unfolded (kustomize folds long plain scalars).
java_tool_options() {
  awk '/name: JAVA_TOOL_OPTIONS$/ { getline; sub(/^ *value: /, ""); v = $0
         while ((getline line) > 0 && line !~ /^ *- / && line !~ /^ *[A-Za-z_]+:( |$)/) { sub(/^ +/, " ", line); v = v line }
         print v; exit }' "$out/$1.yaml"
}
for o in "${overlays[@]}"; do
  grep -q '^kind: Deployment$' "$out/$o.yaml" || continue   # local: the webhook runs outside the cluster
  [[ $o != admission-policies ]] || continue                # checked on its own below
  checks=$((checks + 1))
  [[ $(java_tool_options "$o") == "$jvm_flags" ]] ||
    fail "$o: JAVA_TOOL_OPTIONS is '$(java_tool_options "$o")', not the flags of src/main/jvm/server.options ('$jvm_flags')"
  expect "$o" 1 '^kind: MutatingWebhookConfiguration$' 'one MutatingWebhookConfiguration'
  expect "$o" 1 '^kind: ValidatingWebhookConfiguration$' 'one ValidatingWebhookConfiguration'
  expect "$o" 2 '^kind: CustomResourceDefinition$' 'the two PolicyReport CRDs'
  # legacy drops the stamps webhook (without its CEL filter it would receive every write)
  webhooks=11 failing=5
  [[ $o != legacy ]] || webhooks=10 failing=4
  expect "$o" "$webhooks" '^- admissionReviewVersions:$' 'every webhook'
  expect "$o" "$webhooks" '^  - v1$' 'admissionReviewVersions [v1] on each'
  expect "$o" "$webhooks" '^  sideEffects: None$' 'sideEffects None on each'
  expect "$o" "$webhooks" '^  timeoutSeconds: 5$' 'timeoutSeconds 5 on each'
  expect "$o" 6 '^  failurePolicy: Ignore$' 'failurePolicy Ignore on the five mutating webhooks and the allow-list warnings'
  expect "$o" "$failing" '^  failurePolicy: Fail$' 'failurePolicy Fail on the masq, exemption and stamps webhooks'
  expect "$o" 5 '^  reinvocationPolicy: IfNeeded$' 'reinvocationPolicy IfNeeded on the mutating webhooks'
  # label and annotation, on both configurations
  expect "$o" 4 '^    admissions.enforcer/disabled: "true"$' 'AKS Admissions Enforcer opt-out on both configurations'
done

for o in self-signed cert-manager audit local; do
  expect "$o" 11 '^  matchConditions:$' 'matchConditions on every webhook'
  expect "$o" 1 "request.name in \['azure-ip-masq-agent-config'" 'matchConditions name the ip-masq-agent ConfigMaps'
  expect "$o" 9 "name: not-the-webhook-itself" 'only the webhook itself is left out, by name'
  expect "$o" 0 'operator: NotIn' 'no webhook leaves out a whole namespace'
  expect "$o" 1 'name: stamp-written' 'stamp writes reach the guard, labelled or not'
  expect "$o" 3 'namespaces/finalize' 'Namespace subresources reach the guard'
  expect "$o" 2 'services/status' 'Service status writes reach the guard'
done
expect legacy 0 'matchConditions' 'no matchConditions'
# Istio's Gateway ConfigMaps reach gateway-config only through its matchConditions: legacy drops that rule.
for o in self-signed cert-manager audit local admission-policies; do
  expect "$o" 3 '^    - configmaps$' 'ConfigMaps for masq, the guard and gateway-config'
  expect "$o" 1 'name: istio-gateway-overlays' '... gateway-config only those holding an Istio overlay'
done
expect legacy 2 '^    - configmaps$' 'ConfigMaps for masq and the guard only'
expect legacy 9 'operator: NotIn' 'legacy leaves the webhook namespace out instead'

for o in self-signed cert-manager audit legacy; do
  webhooks=11 validating=6
  [[ $o != legacy ]] || webhooks=10 validating=5
  expect "$o" "$webhooks" '^    service:$' 'every webhook calls the Service'
  expect "$o" 5 '^      path: /mutate$' 'mutating webhooks on /mutate'
  expect "$o" "$validating" '^      path: /validate$' 'validating webhooks on /validate'
  expect "$o" 0 'caBundle' 'no caBundle in the manifests'
  expect "$o" 1 '^kind: Deployment$' 'the Deployment'
  expect "$o" 1 '^  replicas: 2$' 'two replicas'
  expect "$o" 1 'image: sourceip-guard:latest$' 'image set by the images: transformer'
  expect "$o" 1 '^kind: PodDisruptionBudget$' 'the PodDisruptionBudget'
  expect "$o" 2 '^  namespace: kube-system$' 'nothing in kube-system but the masq ConfigMaps Role and RoleBinding'
done

expect local 4 '^kind: ' 'only the two webhook configurations and the CRDs'
expect local 0 '^    service:$' 'no webhook calls a Service'
expect local 5 '^    url: https://127.0.0.1:8443/mutate$' 'mutating webhooks on https://127.0.0.1:8443/mutate'
expect local 6 '^    url: https://127.0.0.1:8443/validate$' 'validating webhooks on https://127.0.0.1:8443/validate'
expect local 11 '^    caBundle: U09VUkNFSVBfR1VBUkRfQ0FfQlVORExF$' 'caBundle placeholder on each webhook'

# admission-policies: the base with the two mutating rules and the guard as admission policies; the webhook keeps
# masq, gateway-config, allow-lists and the guard on their kinds.
ap=admission-policies
expect $ap 1 '^kind: MutatingWebhookConfiguration$' 'one MutatingWebhookConfiguration'
expect $ap 1 '^kind: ValidatingWebhookConfiguration$' 'one ValidatingWebhookConfiguration'
expect $ap 4 '^- admissionReviewVersions:$' '... with four webhooks'
expect $ap 1 '^  name: gateway-config.sourceip-guard.io$' '... gateway-config'
expect $ap 1 '^  name: masq.sourceip-guard.io$' '... masq'
expect $ap 1 '^  name: exempt.sourceip-guard.io$' '... the guard on the other kinds'
expect $ap 1 '^  name: allow-lists.sourceip-guard.io$' '... allow-lists'
expect $ap 0 '^    - services$' '... none for Services (the policies have them)'
expect $ap 1 "request.name in \['azure-ip-masq-agent-config'" '... with its matchConditions'
expect $ap 4 '^    service:$' '... calling the Service'
expect $ap 2 '^kind: MutatingAdmissionPolicy$' 'service-external-traffic-policy and ingress-node-pool as MutatingAdmissionPolicies'
expect $ap 2 '^kind: MutatingAdmissionPolicyBinding$' '... bound'
expect $ap 3 '^kind: ValidatingAdmissionPolicy$' 'the exemption guard and the two audit warnings as ValidatingAdmissionPolicies'
expect $ap 3 '^kind: ValidatingAdmissionPolicyBinding$' '... bound'
expect $ap 12 '^apiVersion: admissionregistration.k8s.io/v1$' 'policies, bindings and the webhook configurations: admissionregistration.k8s.io/v1'
expect $ap 1 '^kind: Deployment$' 'the Deployment'
expect $ap 0 'SOURCEIP_GUARD_MODE' 'no mode override (enforce)'
expect $ap 2 '^  namespace: kube-system$' 'nothing in kube-system but the masq ConfigMaps Role and RoleBinding'

expect cert-manager 2 '^    cert-manager.io/inject-ca-from: sourceip-guard/sourceip-guard-tls$' 'CA injection on both configurations'
expect cert-manager 2 '^kind: Certificate$' 'CA and serving Certificate'
expect cert-manager 2 '^kind: Issuer$' 'self-signed and CA Issuer'
for o in self-signed audit legacy local; do
  expect "$o" 0 'cert-manager.io' 'nothing from cert-manager'
done

expect audit 1 '^        - name: SOURCEIP_GUARD_MODE$' 'SOURCEIP_GUARD_MODE set'
expect audit 1 '^          value: audit$' '... to audit'
for o in self-signed cert-manager legacy local; do
  expect "$o" 0 'SOURCEIP_GUARD_MODE' 'no mode override (enforce)'
done

((failures > failures_before_checks)) || ok "$checks manifest checks"

# Drops the YAML documents of one kind from a kubectl kustomize output.
without_kind() { # without_kind KIND FILE
  awk -v kind="$1" '
    function flush() { if (doc != "" && doc !~ ("\nkind: " kind "\n")) printf "%s", doc; doc = "" }
    /^---$/ { flush(); doc = "---\n"; next }
    { doc = doc $0 "\n" }
    END { flush() }' "$2"
}

dry_run() { # dry_run NAME FILE
  if "$kubectl" apply --dry-run=server -f "$2" >"$out/$1.dry-run" 2>&1; then
    ok "server dry-run $1 ($(grep -c "(server dry run)" "$out/$1.dry-run") objects)"
  else
    fail "server dry-run $1:"
    sed 's/^/       /' "$out/$1.dry-run" >&2
  fi
}

if [[ -n ${KUBECONFIG:-} ]]; then
  version=$("$kubectl" get --raw /version)
  major=$(sed -n 's/.*"major": *"\([0-9]*\).*/\1/p' <<<"$version")
  minor=$(sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' <<<"$version")
  [[ -n $major && -n $minor ]] || { fail "cannot read the API server version"; minor=0; }
  printf 'API server %s.%s\n' "$major" "$minor"

  if ! "$kubectl" get namespace sourceip-guard >/dev/null 2>&1; then
    "$kubectl" create namespace sourceip-guard >/dev/null
    ok "created the empty namespace sourceip-guard for the dry-runs"
  fi

  if ((major == 1 && minor < 21)); then
    without_kind PodDisruptionBudget "$out/legacy.yaml" >"$out/legacy-server.yaml"
    printf 'note policy/v1 PodDisruptionBudget left out of the legacy dry-run (needs 1.21)\n'
  else
    cp "$out/legacy.yaml" "$out/legacy-server.yaml"
  fi
  dry_run legacy "$out/legacy-server.yaml"
  dry_run local "$out/local.yaml"
  if ((major > 1 || minor >= 28)); then
    dry_run self-signed "$out/self-signed.yaml"
    dry_run audit "$out/audit.yaml"
  else
    printf 'note self-signed and audit not dry-run: matchConditions need 1.28\n'
  fi
  if ((major > 1 || minor >= 36)); then
    dry_run admission-policies "$out/admission-policies.yaml"
  else
    printf 'note admission-policies not dry-run: admissionregistration.k8s.io/v1 MutatingAdmissionPolicy needs 1.36\n'
  fi
else
  printf 'note KUBECONFIG not set: no server dry-run\n'
fi

if ((failures)); then
  printf '%d check(s) failed\n' "$failures" >&2
  exit 1
fi
printf 'all checks passed\n'
