# shellcheck shell=bash
# Helpers for the e2e scenarios, on top of scripts/lib.sh: run one scenario, assert, count.
# A scenario is a function; it fails on the first command or assertion that fails.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

passed=0
failed=0
failures=()

# scenario NAME FUNCTION [PREFIX [LABEL=VALUE...]]: runs FUNCTION with errexit in a subshell, prints PASS/FAIL and its
# output on failure. With PREFIX, FUNCTION gets a fresh namespace (new_namespace PREFIX LABEL=VALUE...) as $1.
scenario() {
  local name=$1 fn=$2 out rc
  shift 2
  out=$(mktemp)
  set +e
  (
    set -eo pipefail
    local ns=()
    (($# == 0)) || ns=("$(new_namespace "$@")")
    "$fn" "${ns[@]}"
  ) >"$out" 2>&1
  rc=$?
  set -e
  if ((rc == 0)); then
    passed=$((passed + 1))
    printf 'PASS  %s\n' "$name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %s\n' "$name"
    sed 's/^/      /' "$out" | tail -n 30
  fi
  rm -f "$out"
}

fail() { echo "assertion failed: $*" >&2; return 1; }

expect_eq() { # expect_eq ACTUAL EXPECTED WHAT
  [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

expect_contains() { # expect_contains HAYSTACK NEEDLE WHAT
  [[ $1 == *"$2"* ]] || fail "$3: expected to contain '$2', got: $1"
}

expect_not_contains() { # expect_not_contains HAYSTACK NEEDLE WHAT
  [[ $1 != *"$2"* ]] || fail "$3: expected not to contain '$2', got: $1"
}

# expect_refused OUTPUT...: the command must fail; its output is returned in $refusal.
expect_refused() {
  if refusal=$("$@" 2>&1); then
    fail "expected '$*' to be refused, but it succeeded: $refusal"
  fi
}

expect_absent() { # expect_absent KIND NAME NAMESPACE: nothing was stored
  local out
  if out=$(kubectl get "$1" "$2" -n "$3" -o name 2>&1); then
    fail "$1/$2 in $3 exists, but nothing should have been stored: $out"
  fi
  expect_contains "$out" "NotFound" "kubectl get $1 $2"
}

# new_namespace PREFIX [LABEL=VALUE...]: a fresh namespace (namespaces never finish deleting here).
new_namespace() {
  local name
  name="$1-$(printf '%04x' $((RANDOM)))"
  shift
  kubectl create namespace "$name" >/dev/null
  (($# == 0)) || kubectl label namespace "$name" "$@" >/dev/null
  echo "$name"
}

# eventually DEADLINE_SECONDS COMMAND...: retries until the command succeeds; for the webhook's
# informer caches, which see a change a moment after the API server stores it.
eventually() {
  local deadline=$((SECONDS + $1)) out
  shift
  until out=$("$@" 2>&1); do
    if ((SECONDS >= deadline)); then
      echo "$out" >&2
      fail "'$*' did not succeed within the deadline"
      return 1
    fi
    sleep 0.25
  done
  echo "$out"
}

# policies_served: the API server serves MutatingAdmissionPolicy (admissionregistration.k8s.io/v1, 1.36 and later).
policies_served() { kubectl get --raw /apis/admissionregistration.k8s.io/v1 | grep -q '"mutatingadmissionpolicies"'; }

# clear_admission: no webhook configuration and no admission policy of ours.
clear_admission() {
  kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration sourceip-guard --ignore-not-found >/dev/null
  policies_served || return 0
  kubectl delete mutatingadmissionpolicies,mutatingadmissionpolicybindings,validatingadmissionpolicies,validatingadmissionpolicybindings \
    -l app.kubernetes.io/name=sourceip-guard --ignore-not-found >/dev/null
}

ensure_namespace() { # ensure_namespace NAME: for the upstream manifests, which name their own namespace
  kubectl get namespace "$1" >/dev/null 2>&1 || kubectl create namespace "$1" >/dev/null
}

# audit_seen NAMESPACE: the webhook's informer cache has seen the namespace's audit label (a dry-run Service there
# gets the audit-mode warning).
audit_seen() { lb_service probe "$1" | kubectl apply --dry-run=server -f - 2>&1 | grep -q 'audit mode'; }

jsonpath() { # jsonpath KIND NAME NAMESPACE PATH
  kubectl get "$1" "$2" -n "$3" -o "jsonpath=$4"
}

fixture() { # the path of a real upstream manifest from the unit-test fixtures
  echo "$root/src/test/resources/fixtures/manifests/$1"
}

lb_service() { # lb_service NAME NAMESPACE [POLICY]: a LoadBalancer Service manifest
  cat <<YAML
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: $2
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]
${3:+  externalTrafficPolicy: $3}
YAML
}

exempt_service() { # exempt_service NAME NAMESPACE VALUE [POLICY]: the same, carrying the exempt label
  lb_service "$1" "$2" "${4:-}" | sed "s#^  namespace: .*#&\n  labels: {sourceip-guard.io/exempt: $3}#"
}

# developer_rbac: the group "developers" may write every kind the guard protects, so only the guard can stop them.
developer_rbac() { kubectl apply -f "$root/e2e/developer-rbac.yaml" >/dev/null; }

dev() { kubectl --as=dev-user --as-group=developers "$@"; }

# reviews_seen SELECTOR: how many admission reviews the webhook has answered whose metric labels contain SELECTOR
# (e.g. 'kind="ConfigMap"'), from its Prometheus metrics; dry-run and real alike.
reviews_seen() {
  curl -sf --cacert "$E2E_STACK/webhook-certs/ca.crt" "https://127.0.0.1:$(<"$E2E_STACK/webhook.port")/q/metrics" |
    awk -v want="$1" '/^sourceipguard_admission_reviews_total\{/ && index($0, want) { n += $NF } END { printf "%d\n", n }'
}
