#!/usr/bin/env bash
# Checks the Kustomize tree under k8s/ (CI runs it): renders every overlay, checks the manifests for what
# k8s/README.md promises and, with KUBECONFIG set, server-side dry-runs them (creating only the namespace
# sourceip-guard if missing). KUBECTL [kubectl, v1.27+], MVN [mvn -B -ntp]: k8s/README.md.
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

# The rendered manifests against what k8s/README.md promises: a JUnit class, one test per check
# (src/test/java/io/sourceipguard/k8s/RenderedManifestsCheck.java).
# shellcheck disable=SC2086 # MVN is a command line
if (cd "$here/.." && ${MVN:-mvn -B -ntp} -q test -Dtest=RenderedManifestsCheck -Dsourceip-guard.manifests="$out" \
  >"$out/checks.log" 2>&1); then
  ok "$(sed -n 's/^Tests run: \([0-9]*\),.*/\1/p' "$here/../target/surefire-reports/io.sourceipguard.k8s.RenderedManifestsCheck.txt") manifest checks"
else
  fail "manifest checks:"
  # the failed checks' messages; anything else (a compile error) as Maven printed it
  failed=$(sed -n 's/^\[ERROR\]   RenderedManifestsCheck[^ ]* //p' "$out/checks.log")
  printf '%s\n' "${failed:-$(grep '^\[ERROR\]' "$out/checks.log")}" | sed 's/^/       /' >&2
fi

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
