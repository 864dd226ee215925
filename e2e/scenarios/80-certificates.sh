# Self-managed TLS on the real API server: a second webhook process issues its certificate into a
# Secret, patches the caBundle of its own webhook configuration, and renews a short-lived
# certificate under load without a failed admission.

certificates_self_managed_bootstrap_and_renewal() {
  local ns=$1 port pid config_name=sourceip-guard-self-managed out failures=0 applies=0
  local serials=() serial
  port=$("$root/e2e/cluster.sh" port "$E2E_STACK")
  kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: $config_name}
webhooks:
- name: self-managed.sourceip-guard.io
  admissionReviewVersions: [v1]
  sideEffects: None
  timeoutSeconds: 5
  failurePolicy: Fail
  namespaceSelector: {matchLabels: {e2e-self-managed: "true"}}
  clientConfig: {url: "https://127.0.0.1:$port/mutate"}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [services]}]
YAML
  local jvm=()
  mapfile -t jvm < <("$root/scripts/find-java.sh" --aot "$root/target/quarkus-app")
  SOURCEIP_GUARD_PORT=$port QUARKUS_HTTP_HOST=127.0.0.1 "${jvm[@]}" @"$root/src/main/jvm/server.options" \
    -Dsourceip-guard.tls.self-managed=true \
    -Dsourceip-guard.tls.secret-name=e2e-self-managed-tls \
    -Dsourceip-guard.tls.webhook-configuration=$config_name \
    -Dsourceip-guard.tls.cert-file="$E2E_STACK/self-managed/tls.crt" \
    -Dsourceip-guard.tls.key-file="$E2E_STACK/self-managed/tls.key" \
    -Dsourceip-guard.tls.validity=40s -Dsourceip-guard.tls.renew-before=28s -Dsourceip-guard.tls.check-interval=1s \
    -jar "$root/target/quarkus-app/quarkus-run.jar" >"$E2E_STACK/webhook-self-managed.log" 2>&1 &
  pid=$!
  echo "$pid" >"$E2E_STACK/webhook-self-managed.pid"

  # bootstrap: the Secret is created and the caBundle set, then the API server trusts the webhook
  ca_set() { [[ -n $(kubectl get mutatingwebhookconfiguration "$config_name" -o jsonpath='{.webhooks[0].clientConfig.caBundle}') ]]; }
  eventually 60 ca_set >/dev/null
  expect_eq "$(kubectl get secret e2e-self-managed-tls -n sourceip-guard -o jsonpath='{.type}')" kubernetes.io/tls "the Secret"
  ready() { curl -sf --cacert <(kubectl get secret e2e-self-managed-tls -n sourceip-guard -o jsonpath='{.data.ca\.crt}' | base64 -d) \
    "https://127.0.0.1:$port/q/health/ready" >/dev/null; }
  eventually 60 ready >/dev/null

  # load: admissions through this webhook until two renewals have been served, each must succeed
  local deadline=$((SECONDS + 90))
  while ((${#serials[@]} < 3 && SECONDS < deadline)); do
    applies=$((applies + 1))
    if ! out=$(lb_service "web-$applies" "$ns" | kubectl apply -f - 2>&1); then
      failures=$((failures + 1))
      echo "admission failed: $out"
    fi
    serial=$(openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null || true)
    if [[ -n $serial && " ${serials[*]} " != *" $serial "* ]]; then serials+=("$serial"); fi
  done
  echo "applies: $applies, failures: $failures, certificates served: ${#serials[@]}"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  expect_eq "$failures" 0 "failed admissions during renewal"
  ((${#serials[@]} >= 3)) || fail "expected two renewals (three certificates served), saw ${#serials[@]}"
  expect_eq "$(jsonpath service web-1 "$ns" '{.spec.externalTrafficPolicy}')" Local "mutated through the self-managed webhook"
  grep -q "renewed the serving certificate" "$E2E_STACK/webhook-self-managed.log" || fail "no renewal in the log"
}
scenario "Self-managed TLS: Secret and caBundle bootstrapped, a 40 s certificate renewed twice under load with 0 failed admissions" certificates_self_managed_bootstrap_and_renewal tls e2e-self-managed=true
