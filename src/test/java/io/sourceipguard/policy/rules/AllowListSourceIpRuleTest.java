package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.clusterWithServices;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllowListSourceIpRuleTest {

    private static final String INGRESS = "allowlists/field-report-ingress-whitelist.yaml";
    private static final String NGINX_SERVICE = "allowlists/field-report-ingress-nginx-service.yaml";
    private final AllowListSourceIpRule rule = new AllowListSourceIpRule();

    private static ObjectNode local(String fixture) {
        ObjectNode service = manifest(fixture);
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Local");
        return service;
    }

    private Finding judge(String fixture, JsonNode... services) {
        return rule.evaluate(createSubject(manifest(fixture)), clusterWithServices(List.of(services)));
    }

    @Test
    void theFieldReportsWhitelistBehindAClusterServiceIsWarnedAndAdmitted() {
        Finding finding = judge(INGRESS, manifest(NGINX_SERVICE));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.patch().isEmpty());
        assertTrue(finding.message().contains("whitelist-source-range=192.168.1.4 will see node IPs"), finding.message());
        assertTrue(finding.message().contains("ingress/ingress-nginx-controller"), finding.message());
    }

    @Test
    void itsLocalCounterpartPassesSilently() {
        Finding finding = judge(INGRESS, local(NGINX_SERVICE));
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(finding.notes().isEmpty());
    }

    @Test
    void theNewAllowlistAnnotationCountsToo() {
        ObjectNode ingress = manifest(INGRESS);
        ObjectNode annotations = (ObjectNode) ingress.at("/metadata/annotations");
        annotations.remove("nginx.ingress.kubernetes.io/whitelist-source-range");
        annotations.put("nginx.ingress.kubernetes.io/allowlist-source-range", "10.0.0.0/8");
        Finding finding = rule.evaluate(createSubject(ingress), clusterWithServices(List.of(manifest(NGINX_SERVICE))));
        assertEquals(Outcome.WARN, finding.outcome());
    }

    @Test
    void twoControllersThatDisagreeGiveANoteNeverAFalseWarning() {
        ObjectNode other = local(NGINX_SERVICE);
        ((ObjectNode) other.get("metadata")).put("name", "ingress-nginx-internal");
        Finding finding = judge(INGRESS, manifest(NGINX_SERVICE), other);
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(finding.notes().get(0).contains("cannot tell"), finding.notes().toString());
    }

    @Test
    void whatCannotBeReadIsSaid() {
        Finding none = judge(INGRESS, manifest("traefik-service.yaml"));
        assertEquals(Outcome.PASS, none.outcome());
        assertTrue(none.notes().get(0).contains("no LoadBalancer or NodePort Service of ingress-nginx"), none.notes().toString());
        Finding unsynced = rule.evaluate(createSubject(manifest(INGRESS)), clusterWithServices(null));
        assertTrue(unsynced.notes().get(0).contains("cannot be read yet"), unsynced.notes().toString());
        Finding offline = rule.evaluate(createSubject(manifest(INGRESS)), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.PASS, offline.outcome());
        assertTrue(offline.notes().get(0).contains("not checked"), offline.notes().toString());
    }

    @Test
    void anIngressWithoutAnAllowListIsNotJudged() {
        ObjectNode ingress = manifest(INGRESS);
        ((ObjectNode) ingress.get("metadata")).remove("annotations");
        assertEquals(Outcome.SKIP, rule.evaluate(createSubject(ingress), clusterWithServices(List.of())).outcome());
    }

    @Test
    void traefiksIpAllowListBehindItsClusterServiceIsWarned() {
        Finding finding = judge("allowlists/traefik-middleware-ipallowlist.yaml", manifest("traefik-service.yaml"));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.message().contains("Traefik Service traefik/traefik"), finding.message());
        assertEquals(Outcome.PASS, judge("allowlists/traefik-middleware-ipallowlist.yaml", local("traefik-service.yaml")).outcome());
    }

    @Test
    void traefikWithAnIpStrategyReadsForwardedForAndTheOlderFieldCounts() {
        ObjectNode middleware = manifest("allowlists/traefik-middleware-ipallowlist.yaml");
        ((ObjectNode) middleware.at("/spec/ipAllowList")).putObject("ipStrategy").put("depth", 1);
        Finding finding = rule.evaluate(createSubject(middleware), clusterWithServices(List.of(manifest("traefik-service.yaml"))));
        assertEquals(Outcome.PASS, finding.outcome());
        ObjectNode older = manifest("allowlists/traefik-middleware-ipallowlist.yaml");
        ((ObjectNode) older.get("spec")).set("ipWhiteList", older.at("/spec/ipAllowList"));
        ((ObjectNode) older.get("spec")).remove("ipAllowList");
        assertEquals(Outcome.WARN,
                rule.evaluate(createSubject(older), clusterWithServices(List.of(manifest("traefik-service.yaml")))).outcome());
    }

    @Test
    void envoyGatewayClientCidrsOnAGatewayFindItsService() {
        ObjectNode policy = manifest("allowlists/envoy-gateway-securitypolicy-client-ip.yaml");
        ((ObjectNode) policy.at("/spec/targetRefs/0")).put("kind", "Gateway").put("name", "default");
        ObjectNode service = manifest("envoy-gateway-proxy-service.yaml");
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Cluster");
        Finding finding = rule.evaluate(createSubject(policy), clusterWithServices(List.of(service)));
        assertEquals(Outcome.WARN, finding.outcome(), finding.message());
        assertTrue(finding.message().contains("envoy-gateway-system/envoy-default-37a8eec1"), finding.message());
        assertTrue(finding.notes().get(0).contains("ClientTrafficPolicy"), finding.notes().toString());
        assertEquals(Outcome.PASS, rule.evaluate(createSubject(policy),
                clusterWithServices(List.of(manifest("envoy-gateway-proxy-service.yaml")))).outcome());
    }

    @Test
    void envoyGatewayClientCidrsOnARouteAreNotLookedUp() {
        Finding finding = judge("allowlists/envoy-gateway-securitypolicy-client-ip.yaml", manifest("envoy-gateway-proxy-service.yaml"));
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(finding.notes().get(0).contains("HTTPRoute target"), finding.notes().toString());
    }

    @Test
    void malformedObjectsNeverThrow() throws Exception {
        for (String json : List.of(
                "{\"apiVersion\":\"traefik.io/v1alpha1\",\"kind\":\"Middleware\",\"spec\":{\"ipAllowList\":{\"sourceRange\":\"10.0.0.0/8\"}}}",
                "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"SecurityPolicy\",\"spec\":{\"authorization\":{\"rules\":7}}}",
                "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"annotations\":[]}}")) {
            Finding finding = rule.evaluate(createSubject(io.sourceipguard.testing.Fixtures.JSON.readTree(json)), clusterWithServices(List.of()));
            assertEquals(Outcome.SKIP, finding.outcome(), json);
        }
    }
}
