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
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IngressNodePoolRuleTest {

    private static final String SELECTOR = "/spec/template/spec/nodeSelector";
    private final IngressNodePoolRule rule =
            new IngressNodePoolRule(TestPolicies.defaults().ingressPool());

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ingress-nginx-controller-deployment.yaml",
                "traefik-deployment.yaml",
                "contour-envoy-daemonset.yaml",
                "haproxytech-ingress-deployment.yaml",
                "jcmoraisjr-haproxy-ingress-deployment.yaml",
                "jcmoraisjr-haproxy-ingress-daemonset.yaml"
            })
    void realControllersArePinnedAndKeepTheirOtherSelectors(String fixture) {
        ObjectNode workload = manifest(fixture);
        JsonNode before = workload.at(SELECTOR);
        Finding finding = rule.evaluate(createSubject(workload), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.MUTATE, finding.outcome(), fixture);
        JsonNode patched = apply(workload, finding.patch());
        assertEquals("ingress", patched.at(SELECTOR).path(POOL_KEY).asText());
        before.fields()
                .forEachRemaining(
                        e -> assertEquals(e.getValue(), patched.at(SELECTOR).get(e.getKey()), e.getKey()));
        // exactly one change: the pool key in an existing selector, or a new selector
        String expectedPath = before.isObject() ? SELECTOR + "/kubernetes.azure.com~1agentpool" : SELECTOR;
        assertEquals(Set.of(expectedPath), changedPaths(workload, patched));
        assertEquals(
                Outcome.PASS,
                rule.evaluate(createSubject(patched), ClusterView.UNAVAILABLE).outcome(),
                "idempotent");
    }

    @Test
    void ingressNginxKeepsItsLinuxSelector() {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        JsonNode patched = apply(
                workload,
                rule.evaluate(createSubject(workload), ClusterView.UNAVAILABLE).patch());
        assertEquals(
                Map.of("kubernetes.io/os", "linux", POOL_KEY, "ingress"),
                Fixtures.JSON.convertValue(patched.at(SELECTOR), Map.class));
    }

    @Test
    void ordinaryWorkloadsAreNotIngressControllers() {
        assertEquals(
                Outcome.SKIP,
                rule.evaluate(createSubject(manifest("web-deployment.yaml")), ClusterView.UNAVAILABLE)
                        .outcome());
    }

    @Test
    void envoyWithoutContourIsNotRecognised() {
        ObjectNode envoy = manifest("contour-envoy-daemonset.yaml");
        for (String list : new String[] {"containers", "initContainers"}) {
            envoy.at("/spec/template/spec/" + list)
                    .forEach(c -> ((ObjectNode) c).put("image", "docker.io/envoyproxy/envoy:v1.32.0"));
        }
        assertEquals(
                Outcome.SKIP,
                rule.evaluate(createSubject(envoy), ClusterView.UNAVAILABLE).outcome());
    }

    @Test
    void theOptInLabelIsEnough() {
        ObjectNode web = manifest("web-deployment.yaml");
        ((ObjectNode) web.get("metadata")).putObject("labels").put("sourceip-guard.io/ingress-controller", "true");
        assertEquals(
                Outcome.MUTATE,
                rule.evaluate(createSubject(web), ClusterView.UNAVAILABLE).outcome());
    }

    @Test
    void anotherPoolIsCorrectedWithAWarning() {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        ((ObjectNode) workload.at(SELECTOR)).put(POOL_KEY, "system");
        Finding finding = rule.evaluate(createSubject(workload), ClusterView.UNAVAILABLE);
        assertEquals("replace", finding.patch().get(0).op());
        assertEquals(
                "ingress",
                apply(workload, finding.patch()).at(SELECTOR).path(POOL_KEY).asText());
        assertTrue(
                finding.notes().get(0).contains(POOL_KEY + "=system"),
                finding.notes().toString());
    }

    @Test
    void requiredAffinityThatExcludesThePoolIsRewritten() throws Exception {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        ((ObjectNode) workload.at("/spec/template/spec")).set("affinity", Fixtures.JSON.readTree("""
                {"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
                  {"matchExpressions":[{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]},
                                       {"key":"kubernetes.azure.com/agentpool","operator":"In","values":["user"]}]},
                  {"matchExpressions":[{"key":"kubernetes.azure.com/agentpool","operator":"NotIn","values":["ingress"]}]}]}}}
                """));
        Finding finding = rule.evaluate(createSubject(workload), ClusterView.UNAVAILABLE);
        JsonNode patched = apply(workload, finding.patch());
        String terms =
                "/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms";
        assertEquals(
                "amd64", patched.at(terms + "/0/matchExpressions/0/values/0").asText(), "other expressions kept");
        assertEquals(
                "ingress", patched.at(terms + "/0/matchExpressions/1/values/0").asText());
        assertEquals("In", patched.at(terms + "/1/matchExpressions/0/operator").asText());
        assertTrue(
                finding.notes().stream().anyMatch(n -> n.contains("required node affinity")),
                finding.notes().toString());
    }

    @Test
    void affinityWithOneTermThatAdmitsThePoolIsLeftAlone() throws Exception {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        ((ObjectNode) workload.at("/spec/template/spec")).set("affinity", Fixtures.JSON.readTree("""
                {"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
                  {"matchExpressions":[{"key":"kubernetes.azure.com/agentpool","operator":"In","values":["user"]}]},
                  {"matchExpressions":[{"key":"kubernetes.azure.com/agentpool","operator":"Exists"}]}]}}}
                """));
        Finding finding = rule.evaluate(createSubject(workload), ClusterView.UNAVAILABLE);
        assertEquals(1, finding.patch().size(), "only the nodeSelector");
        assertTrue(
                finding.notes().stream().noneMatch(n -> n.contains("affinity")),
                finding.notes().toString());
    }

    @Test
    void tolerationIsAddedOnceWhenConfigured() {
        IngressNodePoolRule tolerating = new IngressNodePoolRule(TestPolicies.settings(Map.of(
                        "sourceip-guard.rules.ingress-node-pool.toleration.key", "dedicated",
                        "sourceip-guard.rules.ingress-node-pool.toleration.value", "ingress"))
                .ingressPool());
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        Finding finding = tolerating.evaluate(createSubject(workload), ClusterView.UNAVAILABLE);
        JsonNode patched = apply(workload, finding.patch());
        JsonNode toleration = patched.at("/spec/template/spec/tolerations/0");
        assertEquals("dedicated", toleration.path("key").asText());
        assertEquals("Equal", toleration.path("operator").asText());
        assertEquals("NoSchedule", toleration.path("effect").asText());
        assertEquals(
                Outcome.PASS,
                tolerating
                        .evaluate(createSubject(patched), ClusterView.UNAVAILABLE)
                        .outcome());
    }

    // --- only a pool that exists -------------------------------------------------------------

    private static ClusterView nodes(ClusterView.NodeMeta... nodes) {
        return Fixtures.clusterWithNodes(java.util.List.of(), java.util.List.of(nodes));
    }

    @Test
    void withNoNodeInThePoolTheWorkloadIsAdmittedUnpinnedWithTheFix() {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        Finding finding = rule.evaluate(
                createSubject(workload), nodes(Fixtures.node("aks-system-0", Map.of(POOL_KEY, "system"))));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.patch().isEmpty());
        assertTrue(
                finding.message().contains("no node carries kubernetes.azure.com/agentpool=ingress"),
                finding.message());
        assertTrue(finding.message().contains("rules.ingress-node-pool.pool-label-value"), finding.message());
    }

    @Test
    void withNodesNotReadableYetNothingIsPinned() {
        Finding finding = rule.evaluate(
                createSubject(manifest("traefik-deployment.yaml")),
                Fixtures.clusterWithNodes(java.util.List.of(), null));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.patch().isEmpty());
        assertTrue(finding.message().contains("Nodes cannot be read yet"), finding.message());
    }

    @Test
    void thePoolsOwnTaintsAreToleratedAndNodeConditionsAreNot() {
        ObjectNode workload = manifest("ingress-nginx-controller-deployment.yaml");
        ClusterView cluster = nodes(
                Fixtures.node(
                        "aks-ingress-0",
                        Map.of(POOL_KEY, "ingress"),
                        "dedicated=ingress:NoSchedule",
                        "node.kubernetes.io/unschedulable:NoSchedule",
                        "soft:PreferNoSchedule"),
                Fixtures.node(
                        "aks-ingress-1",
                        Map.of(POOL_KEY, "ingress"),
                        "dedicated=ingress:NoSchedule",
                        "CriticalAddonsOnly:NoExecute"));
        Finding finding = rule.evaluate(createSubject(workload), cluster);
        assertEquals(Outcome.MUTATE, finding.outcome());
        JsonNode patched = apply(workload, finding.patch());
        JsonNode tolerations = patched.at("/spec/template/spec/tolerations");
        assertEquals(2, tolerations.size(), tolerations.toString());
        assertEquals("dedicated", tolerations.get(0).path("key").asText());
        assertEquals("Equal", tolerations.get(0).path("operator").asText());
        assertEquals("ingress", tolerations.get(0).path("value").asText());
        assertEquals("CriticalAddonsOnly", tolerations.get(1).path("key").asText());
        assertEquals("Exists", tolerations.get(1).path("operator").asText());
        assertEquals(
                Outcome.PASS, rule.evaluate(createSubject(patched), cluster).outcome(), "idempotent");
    }

    @Test
    void existingTolerationsAreKeptAndNotRepeated() throws Exception {
        ObjectNode workload = manifest("traefik-deployment.yaml");
        ((ObjectNode) workload.at("/spec/template/spec"))
                .set("tolerations", Fixtures.JSON.readTree("[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]"));
        ClusterView cluster = nodes(Fixtures.node(
                "aks-ingress-0", Map.of(POOL_KEY, "ingress"), "dedicated=ingress:NoSchedule", "team=edge:NoExecute"));
        JsonNode patched =
                apply(workload, rule.evaluate(createSubject(workload), cluster).patch());
        JsonNode tolerations = patched.at("/spec/template/spec/tolerations");
        assertEquals(2, tolerations.size(), tolerations.toString());
        assertEquals("dedicated", tolerations.get(0).path("key").asText());
        assertEquals("team", tolerations.get(1).path("key").asText());
    }
}
