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
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.GatewayMeta;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Istio's Gateway ConfigMaps: the overlays are parsed, changed and written back with everything else kept. */
class IstioGatewayOverlaysTest {

    private static final String CLASS_DEFAULTS = "istio-gateway-class-defaults-configmap.yaml";
    private static final String OPTIONS = "istio-gateway-options-configmap.yaml";
    private static final YAMLMapper YAML = new YAMLMapper();
    private final GatewayConfigRule rule = new GatewayConfigRule(
            TestPolicies.defaults().ingressPool(), TestPolicies.defaults().istioNamespaces());
    private final ClusterView taintedPool = Fixtures.clusterWithNodes(
            List.of(),
            List.of(Fixtures.node("aks-ingress-0", Map.of(POOL_KEY, "ingress"), "dedicated=ingress:NoSchedule")));

    private static ClusterView gateways(ClusterView base, GatewayMeta... gateways) {
        return Fixtures.withGatewayApi(base, List.of(gateways), List.of());
    }

    private static GatewayMeta gateway() {
        return GatewayMeta.of(manifest("istio-gateway-with-parametersref.yaml"));
    }

    private static JsonNode overlay(JsonNode configMap, String key) throws Exception {
        return YAML.readTree(configMap.path("data").path(key).asText(""));
    }

    private JsonNode mutated(ObjectNode configMap, ClusterView cluster) {
        Finding finding = rule.evaluate(createSubject(configMap), cluster);
        assertEquals(Outcome.MUTATE, finding.outcome(), finding.message() + " " + finding.notes());
        JsonNode patched = apply(configMap, finding.patch());
        assertEquals(
                Outcome.PASS, rule.evaluate(createSubject(patched), cluster).outcome(), "idempotent");
        return patched;
    }

    @Test
    void theClassDefaultsGetALocalServiceAndThePoolKeepingEveryOtherField() throws Exception {
        ObjectNode configMap = manifest(CLASS_DEFAULTS);
        JsonNode patched = mutated(configMap, gateways(taintedPool));
        assertEquals(Set.of("/data/deployment", "/data/service"), changedPaths(configMap, patched));
        assertEquals(
                "Local",
                overlay(patched, "service").at("/spec/externalTrafficPolicy").asText());
        // the deployment overlay: exactly the user's fields, plus the pool and its taint
        ObjectNode expected = (ObjectNode) overlay(configMap, "deployment");
        ObjectNode pod = expected.with("spec").with("template").with("spec");
        pod.putObject("nodeSelector").put(POOL_KEY, "ingress");
        pod.putArray("tolerations")
                .addObject()
                .put("key", "dedicated")
                .put("operator", "Equal")
                .put("value", "ingress")
                .put("effect", "NoSchedule");
        assertEquals(expected, overlay(patched, "deployment"));
    }

    @Test
    void aGatewaysParametersRefConfigMapKeepsItsStrategicMergeDirectives() throws Exception {
        ObjectNode configMap = manifest(OPTIONS);
        JsonNode patched = mutated(configMap, gateways(taintedPool, gateway()));
        ObjectNode service = (ObjectNode) overlay(configMap, "service");
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Local");
        assertEquals(service, overlay(patched, "service"));
        assertEquals(
                "delete", overlay(patched, "service").at("/spec/ports/0/$patch").asText());
        ObjectNode deployment = (ObjectNode) overlay(configMap, "deployment");
        assertTrue(deployment.at("/metadata/annotations").isNull(), "the docs' overlay, read as written");
        JsonNode after = overlay(patched, "deployment");
        assertEquals(
                "ingress",
                after.at("/spec/template/spec/nodeSelector").path(POOL_KEY).asText());
        ((ObjectNode) after.at("/spec/template/spec")).remove(List.of("nodeSelector", "tolerations"));
        assertEquals(deployment, after);
        assertEquals(configMap.at("/data/horizontalPodAutoscaler"), patched.at("/data/horizontalPodAutoscaler"));
    }

    @Test
    void commentsAndTheUsersOwnSelectorEntriesStay() throws Exception {
        ObjectNode configMap = manifest(OPTIONS);
        String yaml = """
                # sized for the load test
                spec:
                  template:
                    spec:
                      nodeSelector:
                        kubernetes.io/os: linux  # only Linux nodes
                """;
        ((ObjectNode) configMap.get("data")).put("deployment", yaml);
        String after = mutated(configMap, gateways(taintedPool, gateway()))
                .at("/data/deployment")
                .asText();
        assertTrue(after.startsWith("# sized for the load test\n"), after);
        assertTrue(after.contains("kubernetes.io/os: linux # only Linux nodes"), after);
        assertTrue(after.contains(POOL_KEY + ": ingress"), after);
    }

    @Test
    void anOverlayThatCannotBeReadIsLeftAloneWithTheKeyAndTheFixNamed() {
        ObjectNode configMap = manifest(OPTIONS);
        ((ObjectNode) configMap.get("data")).put("deployment", "spec: [unclosed");
        ((ObjectNode) configMap.get("data")).put("service", "spec:\n  externalTrafficPolicy: Local\n");
        Finding finding = rule.evaluate(createSubject(configMap), gateways(taintedPool, gateway()));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.patch().isEmpty());
        assertTrue(finding.message().contains("left data key 'deployment' alone: not YAML"), finding.message());
        assertTrue(finding.message().contains("spec.template.spec.nodeSelector"), finding.message());
        // a list where a mapping belongs: left alone too, while the service overlay is still fixed
        ((ObjectNode) configMap.get("data")).put("deployment", "spec:\n  template: [a, b]\n");
        ((ObjectNode) configMap.get("data")).put("service", "spec: {}\n");
        finding = rule.evaluate(createSubject(configMap), gateways(taintedPool, gateway()));
        assertEquals(Outcome.MUTATE, finding.outcome());
        assertEquals(Set.of("/data/service"), changedPaths(configMap, apply(configMap, finding.patch())));
        assertTrue(
                finding.notes()
                        .toString()
                        .contains("left data key 'deployment' alone: a field on the way is not a mapping"),
                finding.notes().toString());
    }

    @Test
    void onlyConfigMapsIstioReadsAreChanged() {
        ObjectNode elsewhere = manifest(CLASS_DEFAULTS);
        ((ObjectNode) elsewhere.get("metadata")).put("namespace", "default");
        assertEquals(
                Outcome.SKIP,
                rule.evaluate(createSubject(elsewhere), gateways(taintedPool)).outcome());
        ObjectNode options = manifest(OPTIONS);
        assertEquals(
                Outcome.SKIP,
                rule.evaluate(createSubject(options), gateways(taintedPool)).outcome(),
                "no parametersRef names it");
        Finding unknown = rule.evaluate(createSubject(options), Fixtures.withGatewayApi(taintedPool, null, null));
        assertEquals(Outcome.PASS, unknown.outcome());
        assertTrue(unknown.patch().isEmpty());
        assertTrue(
                unknown.notes().get(0).contains("Gateways cannot be read yet"),
                unknown.notes().toString());
        ObjectNode plain = manifest(OPTIONS);
        ((ObjectNode) plain.get("data")).remove(List.of("service", "deployment"));
        assertTrue(
                !rule.appliesTo(createSubject(plain)),
                "a ConfigMap without a service or deployment overlay is not looked at");
    }

    @Test
    void aClusterIpServiceNeverGetsThePolicy() {
        GatewayMeta clusterIp = new GatewayMeta(
                "default", "internal", "istio", Map.of(IstioGatewayOverlays.SERVICE_TYPE, "ClusterIP"), "", "", "");
        Finding finding = rule.evaluate(createSubject(manifest(CLASS_DEFAULTS)), gateways(taintedPool, clusterIp));
        assertEquals(
                Set.of("/data/deployment"),
                changedPaths(manifest(CLASS_DEFAULTS), apply(manifest(CLASS_DEFAULTS), finding.patch())));
        assertTrue(
                finding.notes().toString().contains("default/internal asks for another Service type"),
                finding.notes().toString());
        // the class's Gateways unknown: the policy is withheld; the waypoint class is ClusterIP
        finding = rule.evaluate(
                createSubject(manifest(CLASS_DEFAULTS)), Fixtures.withGatewayApi(taintedPool, null, List.of()));
        assertTrue(
                finding.notes().toString().contains("cannot be read yet"),
                finding.notes().toString());
        ObjectNode waypoint = manifest(CLASS_DEFAULTS);
        ((ObjectNode) waypoint.at("/metadata/labels")).put(IstioGatewayOverlays.CLASS_DEFAULTS, "istio-waypoint");
        finding = rule.evaluate(createSubject(waypoint), gateways(taintedPool));
        assertEquals(Set.of("/data/deployment"), changedPaths(waypoint, apply(waypoint, finding.patch())));
        ObjectNode ownType = manifest(OPTIONS);
        ((ObjectNode) ownType.get("data")).put("service", "spec:\n  type: ClusterIP\n");
        finding = rule.evaluate(createSubject(ownType), gateways(taintedPool, gateway()));
        assertEquals(Set.of("/data/deployment"), changedPaths(ownType, apply(ownType, finding.patch())));
    }

    @Test
    void thePoolFollowsTheThreeStatesOfTheIngressRule() {
        ObjectNode configMap = manifest(CLASS_DEFAULTS);
        ClusterView noPool =
                gateways(Fixtures.clusterWithNodes(List.of(), List.of(Fixtures.node("aks-system-0", Map.of()))));
        Finding finding = rule.evaluate(createSubject(configMap), noPool);
        assertEquals(Set.of("/data/service"), changedPaths(configMap, apply(configMap, finding.patch())));
        assertTrue(
                finding.notes().toString().contains("no node carries " + POOL_KEY + "=ingress"),
                finding.notes().toString());
        ClusterView nodesUnread = gateways(Fixtures.clusterWithNodes(List.of(), null));
        finding = rule.evaluate(createSubject(configMap), nodesUnread);
        assertEquals(Set.of("/data/service"), changedPaths(configMap, apply(configMap, finding.patch())));
        assertTrue(
                finding.notes().toString().contains("Nodes cannot be read yet"),
                finding.notes().toString());
    }

    @Test
    void aKeyIstioDoesNotSupportIsNamed() {
        ObjectNode configMap = manifest(CLASS_DEFAULTS);
        ((ObjectNode) configMap.get("data")).put("hpa", "spec: {}\n");
        Finding finding = rule.evaluate(createSubject(configMap), gateways(taintedPool));
        assertTrue(
                finding.notes().toString().contains("data key 'hpa' is no overlay Istio supports"),
                finding.notes().toString());
    }
}
