package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.apply;
import static io.sourceipguard.testing.Fixtures.changedPaths;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static io.sourceipguard.testing.TestPolicies.POOL_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GatewayConfigRuleTest {

    private static final String ESC = "kubernetes.azure.com~1agentpool";
    private final GatewayConfigRule rule = new GatewayConfigRule(
            TestPolicies.defaults().ingressPool(), TestPolicies.defaults().istioNamespaces());
    private final ClusterView withPool =
            Fixtures.clusterWithNodes(List.of(), List.of(Fixtures.node("aks-ingress-0", Map.of(POOL_KEY, "ingress"))));

    private JsonNode mutated(ObjectNode object, Set<String> paths) {
        Finding finding = rule.evaluate(createSubject(object), withPool);
        assertEquals(Outcome.MUTATE, finding.outcome(), finding.message());
        JsonNode patched = apply(object, finding.patch());
        assertEquals(paths, changedPaths(object, patched));
        assertEquals(
                Outcome.PASS, rule.evaluate(createSubject(patched), withPool).outcome(), "idempotent");
        return patched;
    }

    @Test
    void envoyProxyGetsThePoolAndKeepsItsDefaultLocalService() {
        JsonNode patched = mutated(
                manifest("envoy-gateway-envoyproxy.yaml"),
                Set.of("/spec/provider/kubernetes/envoyDeployment/pod/nodeSelector"));
        assertEquals(
                "ingress",
                patched.at("/spec/provider/kubernetes/envoyDeployment/pod/nodeSelector")
                        .path(POOL_KEY)
                        .asText());
    }

    @Test
    void envoyProxyWithClusterIsSetToLocal() {
        ObjectNode proxy = manifest("envoy-gateway-envoyproxy.yaml");
        ((ObjectNode) proxy.at("/spec/provider/kubernetes/envoyService")).put("externalTrafficPolicy", "Cluster");
        JsonNode patched = mutated(
                proxy,
                Set.of(
                        "/spec/provider/kubernetes/envoyService/externalTrafficPolicy",
                        "/spec/provider/kubernetes/envoyDeployment/pod/nodeSelector"));
        assertEquals(
                "Local",
                patched.at("/spec/provider/kubernetes/envoyService/externalTrafficPolicy")
                        .asText());
    }

    @Test
    void envoyProxyWithoutProviderGetsAKubernetesProvider() throws Exception {
        ObjectNode proxy = (ObjectNode) Fixtures.JSON.readTree("""
                {"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"EnvoyProxy","metadata":{"name":"p","namespace":"eg"},
                 "spec":{"logging":{"level":{"default":"warn"}}}}""");
        JsonNode patched = mutated(proxy, Set.of("/spec/provider"));
        assertEquals("Kubernetes", patched.at("/spec/provider/type").asText());
        assertEquals(
                "ingress",
                patched.at("/spec/provider/kubernetes/envoyDeployment/pod/nodeSelector/" + ESC)
                        .asText());
    }

    @Test
    void envoyProxyAsDaemonSetPinsTheDaemonSet() {
        ObjectNode proxy = manifest("envoy-gateway-envoyproxy.yaml");
        ObjectNode kubernetes = (ObjectNode) proxy.at("/spec/provider/kubernetes");
        kubernetes.remove("envoyDeployment");
        kubernetes
                .putObject("envoyDaemonSet")
                .putObject("pod")
                .putObject("nodeSelector")
                .put("kubernetes.io/os", "linux");
        JsonNode patched = mutated(proxy, Set.of("/spec/provider/kubernetes/envoyDaemonSet/pod/nodeSelector/" + ESC));
        assertEquals(
                "linux",
                patched.at("/spec/provider/kubernetes/envoyDaemonSet/pod/nodeSelector/kubernetes.io~1os")
                        .asText());
    }

    @Test
    void aCustomProviderIsLeftAlone() {
        ObjectNode proxy = manifest("envoy-gateway-envoyproxy.yaml");
        ((ObjectNode) proxy.at("/spec/provider")).put("type", "Custom");
        assertEquals(Outcome.SKIP, rule.evaluate(createSubject(proxy), withPool).outcome());
    }

    @Test
    void nginxProxyGetsThePool() {
        JsonNode patched = mutated(manifest("nginx-gateway-fabric-nginxproxy.yaml"), Set.of("/spec/kubernetes"));
        assertEquals(
                "ingress",
                patched.at("/spec/kubernetes/deployment/pod/nodeSelector/" + ESC)
                        .asText());
        assertEquals(
                "2", patched.at("/spec/upstreamZoneAutoSizing/bufferMultiplier").asText(), "other fields kept");
    }

    @Test
    void nginxProxyWithClusterAndADaemonSetIsSteeredThere() {
        ObjectNode proxy = manifest("nginx-gateway-fabric-nginxproxy.yaml");
        ObjectNode kubernetes = ((ObjectNode) proxy.get("spec")).putObject("kubernetes");
        kubernetes.putObject("service").put("externalTrafficPolicy", "Cluster");
        kubernetes.putObject("daemonSet");
        mutated(proxy, Set.of("/spec/kubernetes/service/externalTrafficPolicy", "/spec/kubernetes/daemonSet/pod"));
    }

    @Test
    void ciliumClassConfigDefaultsToClusterSoLocalIsAdded() {
        JsonNode patched =
                mutated(manifest("cilium-gatewayclassconfig.yaml"), Set.of("/spec/service/externalTrafficPolicy"));
        assertEquals("NodePort", patched.at("/spec/service/type").asText());
    }

    @Test
    void ciliumClassConfigWithoutServiceGetsOne() throws Exception {
        ObjectNode config = manifest("cilium-gatewayclassconfig.yaml");
        ((ObjectNode) config.get("spec")).remove("service");
        ((ObjectNode) config.get("spec")).put("description", "no service");
        mutated(config, Set.of("/spec/service"));
    }

    @Test
    void withoutThePoolOnlyTheServiceIsFixedAndTheNoteSaysWhy() {
        ObjectNode proxy = manifest("envoy-gateway-envoyproxy.yaml");
        ((ObjectNode) proxy.at("/spec/provider/kubernetes/envoyService")).put("externalTrafficPolicy", "Cluster");
        Finding finding = rule.evaluate(createSubject(proxy), Fixtures.clusterWithNodes(List.of(), List.of()));
        assertEquals(Outcome.MUTATE, finding.outcome());
        assertEquals(
                Set.of("/spec/provider/kubernetes/envoyService/externalTrafficPolicy"),
                changedPaths(proxy, apply(proxy, finding.patch())));
        assertTrue(
                finding.notes().get(0).contains("no node carries"),
                finding.notes().toString());
    }

    @Test
    void unknownVersionsAndMalformedObjectsAreLeftAlone() throws Exception {
        ObjectNode old = manifest("nginx-gateway-fabric-nginxproxy.yaml");
        old.put("apiVersion", "gateway.nginx.org/v1alpha1");
        assertEquals(Outcome.SKIP, rule.evaluate(createSubject(old), withPool).outcome());
        ObjectNode broken = manifest("cilium-gatewayclassconfig.yaml");
        ((ObjectNode) broken.get("spec")).put("service", "LoadBalancer");
        Finding finding = rule.evaluate(createSubject(broken), withPool);
        assertTrue(finding.patch().isEmpty());
        ObjectNode noSpec = manifest("envoy-gateway-envoyproxy.yaml");
        noSpec.put("spec", 3);
        assertEquals(
                Outcome.SKIP, rule.evaluate(createSubject(noSpec), withPool).outcome());
    }
}
