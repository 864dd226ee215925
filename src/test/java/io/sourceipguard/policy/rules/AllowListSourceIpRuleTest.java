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
import io.sourceipguard.testing.Fixtures;
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
        assertTrue(
                finding.message().contains("whitelist-source-range=192.168.1.4 will see node IPs"), finding.message());
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
        assertTrue(
                finding.notes().get(0).contains("cannot tell"), finding.notes().toString());
    }

    @Test
    void whatCannotBeReadIsSaid() {
        Finding none = judge(INGRESS, manifest("traefik-service.yaml"));
        assertEquals(Outcome.PASS, none.outcome());
        assertTrue(
                none.notes().get(0).contains("no LoadBalancer or NodePort Service of ingress-nginx"),
                none.notes().toString());
        Finding unsynced = rule.evaluate(createSubject(manifest(INGRESS)), clusterWithServices(null));
        assertTrue(
                unsynced.notes().get(0).contains("cannot be read yet"),
                unsynced.notes().toString());
        Finding offline = rule.evaluate(createSubject(manifest(INGRESS)), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.PASS, offline.outcome());
        assertTrue(
                offline.notes().get(0).contains("not checked"), offline.notes().toString());
    }

    @Test
    void anIngressWithoutAnAllowListIsNotJudged() {
        ObjectNode ingress = manifest(INGRESS);
        ((ObjectNode) ingress.get("metadata")).remove("annotations");
        assertEquals(
                Outcome.SKIP,
                rule.evaluate(createSubject(ingress), clusterWithServices(List.of()))
                        .outcome());
    }

    @Test
    void traefiksIpAllowListBehindItsClusterServiceIsWarned() {
        Finding finding = judge("allowlists/traefik-middleware-ipallowlist.yaml", manifest("traefik-service.yaml"));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.message().contains("Traefik Service traefik/traefik"), finding.message());
        assertEquals(
                Outcome.PASS,
                judge("allowlists/traefik-middleware-ipallowlist.yaml", local("traefik-service.yaml"))
                        .outcome());
    }

    @Test
    void traefikWithAnIpStrategyReadsForwardedForAndTheOlderFieldCounts() {
        ObjectNode middleware = manifest("allowlists/traefik-middleware-ipallowlist.yaml");
        ((ObjectNode) middleware.at("/spec/ipAllowList"))
                .putObject("ipStrategy")
                .put("depth", 1);
        Finding finding = rule.evaluate(
                createSubject(middleware), clusterWithServices(List.of(manifest("traefik-service.yaml"))));
        assertEquals(Outcome.PASS, finding.outcome());
        ObjectNode older = manifest("allowlists/traefik-middleware-ipallowlist.yaml");
        ((ObjectNode) older.get("spec")).set("ipWhiteList", older.at("/spec/ipAllowList"));
        ((ObjectNode) older.get("spec")).remove("ipAllowList");
        assertEquals(
                Outcome.WARN,
                rule.evaluate(createSubject(older), clusterWithServices(List.of(manifest("traefik-service.yaml"))))
                        .outcome());
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
        assertTrue(
                finding.notes().get(0).contains("ClientTrafficPolicy"),
                finding.notes().toString());
        assertEquals(
                Outcome.PASS,
                rule.evaluate(
                                createSubject(policy),
                                clusterWithServices(List.of(manifest("envoy-gateway-proxy-service.yaml"))))
                        .outcome());
    }

    @Test
    void envoyGatewayClientCidrsOnARouteFollowItsParentGateway() {
        ObjectNode service = manifest("envoy-gateway-proxy-service.yaml");
        ((ObjectNode) service.at("/metadata/labels")).put("gateway.envoyproxy.io/owning-gateway-name", "eg");
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Cluster");
        List<ClusterView.RouteMeta> routes =
                List.of(ClusterView.RouteMeta.of(manifest("allowlists/envoy-gateway-quickstart-httproute.yaml")));
        ObjectNode policy = manifest("allowlists/envoy-gateway-securitypolicy-client-ip.yaml");
        Finding finding = rule.evaluate(
                createSubject(policy),
                Fixtures.withGatewayApi(clusterWithServices(List.of(service)), List.of(), routes));
        assertEquals(Outcome.WARN, finding.outcome(), finding.message() + finding.notes());
        assertTrue(finding.message().contains("(HTTPRoute backend → Gateway default/eg)"), finding.message());
        assertTrue(finding.message().contains("envoy-gateway-system/envoy-default-37a8eec1"), finding.message());
        // its Local counterpart passes silently
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Local");
        finding = rule.evaluate(
                createSubject(policy),
                Fixtures.withGatewayApi(clusterWithServices(List.of(service)), List.of(), routes));
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(finding.notes().isEmpty(), finding.notes().toString());
        // a Gateway of the same name in another namespace is not this one
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Cluster");
        ((ObjectNode) service.at("/metadata/labels")).put("gateway.envoyproxy.io/owning-gateway-namespace", "other");
        finding = rule.evaluate(
                createSubject(policy),
                Fixtures.withGatewayApi(clusterWithServices(List.of(service)), List.of(), routes));
        assertEquals(Outcome.PASS, finding.outcome());
    }

    @Test
    void aRouteThatCannotBeFollowedGivesANoteNeverAFalseWarning() {
        ObjectNode service = manifest("envoy-gateway-proxy-service.yaml");
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Cluster");
        ObjectNode policy = manifest("allowlists/envoy-gateway-securitypolicy-client-ip.yaml");
        Finding unread = rule.evaluate(
                createSubject(policy), Fixtures.withGatewayApi(clusterWithServices(List.of(service)), List.of(), null));
        assertEquals(Outcome.PASS, unread.outcome());
        assertTrue(
                unread.notes().get(0).contains("the routes cannot be read yet"),
                unread.notes().toString());
        Finding missing = rule.evaluate(
                createSubject(policy),
                Fixtures.withGatewayApi(clusterWithServices(List.of(service)), List.of(), List.of()));
        assertEquals(Outcome.PASS, missing.outcome());
        assertTrue(
                missing.notes().get(0).contains("HTTPRoute default/backend, which does not exist"),
                missing.notes().toString());
    }

    /** A cluster of these Services, IngressClasses and workloads (as the report reads them). */
    private static ClusterView linked(List<JsonNode> services, List<JsonNode> classes, List<JsonNode> workloads) {
        ClusterView base = clusterWithServices(services);
        List<ClusterView.IngressClassMeta> ingressClasses =
                classes.stream().map(ClusterView.IngressClassMeta::of).toList();
        List<ClusterView.ControllerMeta> controllers =
                workloads.stream().map(ClusterView.ControllerMeta::of).toList();
        return new io.sourceipguard.testing.DelegatingClusterView(base) {
            @Override
            public java.util.Optional<List<IngressClassMeta>> ingressClasses() {
                return java.util.Optional.of(ingressClasses);
            }

            @Override
            public java.util.Optional<List<ControllerMeta>> ingressControllers() {
                return java.util.Optional.of(controllers);
            }
        };
    }

    /** A second ingress-nginx install in {@code namespace}, serving {@code controller} and class "internal", its Service Local. */
    private static List<JsonNode> secondInstall(String namespace, String controller) {
        ObjectNode deployment = manifest("ingress-nginx-controller-deployment.yaml");
        ((ObjectNode) deployment.get("metadata")).put("namespace", namespace);
        com.fasterxml.jackson.databind.node.ArrayNode args =
                (com.fasterxml.jackson.databind.node.ArrayNode) deployment.at("/spec/template/spec/containers/0/args");
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).asText().startsWith("--controller-class=")) {
                args.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf("--controller-class=" + controller));
            } else if (args.get(i).asText().startsWith("--ingress-class=")) {
                args.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf("--ingress-class=internal"));
            }
        }
        ObjectNode service = local("ingress-nginx-controller-service-cluster.yaml");
        ((ObjectNode) service.get("metadata")).put("namespace", namespace);
        return List.of(deployment, service);
    }

    @Test
    void anIngressIsLinkedThroughItsIngressClassToTheControllerAndItsService() {
        ObjectNode ingressClass = manifest("allowlists/ingress-nginx-ingressclass.yaml");
        JsonNode deployment = manifest("ingress-nginx-controller-deployment.yaml");
        JsonNode clusterService = manifest("ingress-nginx-controller-service-cluster.yaml");
        List<JsonNode> internal = secondInstall("internal-nginx", "k8s.io/internal-nginx");
        ObjectNode internalClass = manifest("allowlists/ingress-nginx-ingressclass.yaml");
        ((ObjectNode) internalClass.get("metadata")).put("name", "internal");
        ((ObjectNode) internalClass.get("spec")).put("controller", "k8s.io/internal-nginx");
        ClusterView cluster = linked(
                List.of(clusterService, internal.get(1)),
                List.of(ingressClass, internalClass),
                List.of(deployment, internal.get(0)));
        // the labels alone find two installs that disagree; the IngressClass names the Cluster one
        Finding finding = rule.evaluate(createSubject(manifest(INGRESS)), cluster);
        assertEquals(Outcome.WARN, finding.outcome(), finding.message() + finding.notes());
        assertTrue(
                finding.message()
                        .contains("(IngressClass nginx, controller k8s.io/ingress-nginx → Deployment"
                                + " ingress-nginx/ingress-nginx-controller) will see node IPs"),
                finding.message());
        assertTrue(
                finding.message().contains("ingress-nginx/ingress-nginx-controller has externalTrafficPolicy Cluster"),
                finding.message());
        // an Ingress of the other class is served by the Local install: silent
        ObjectNode internalIngress = manifest(INGRESS);
        ((ObjectNode) internalIngress.get("spec")).put("ingressClassName", "internal");
        finding = rule.evaluate(createSubject(internalIngress), cluster);
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(finding.notes().isEmpty(), finding.notes().toString());
        // the deprecated annotation is matched against --ingress-class
        ObjectNode annotated = manifest(INGRESS);
        ((ObjectNode) annotated.get("spec")).remove("ingressClassName");
        ((ObjectNode) annotated.at("/metadata/annotations")).put("kubernetes.io/ingress.class", "nginx");
        finding = rule.evaluate(createSubject(annotated), cluster);
        assertEquals(Outcome.WARN, finding.outcome(), finding.message() + finding.notes());
        assertTrue(finding.message().contains("(kubernetes.io/ingress.class nginx → Deployment"), finding.message());
    }

    @Test
    void theLabelsAreOnlyTheFallbackAndTheFindingSaysSo() {
        // no IngressClass read (the field report's own input): the ingress-nginx labels, with a note saying so
        Finding finding = judge(INGRESS, manifest(NGINX_SERVICE));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(
                finding.notes().toString().contains("found by ingress-nginx's labels"),
                finding.notes().toString());
        // a class no controller serves
        ObjectNode ingressClass = manifest("allowlists/ingress-nginx-ingressclass.yaml");
        ((ObjectNode) ingressClass.get("spec")).put("controller", "example.com/other");
        finding = rule.evaluate(
                createSubject(manifest(INGRESS)),
                linked(
                        List.of(manifest(NGINX_SERVICE)),
                        List.of(ingressClass),
                        List.of(manifest("ingress-nginx-controller-deployment.yaml"))));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(
                finding.notes().toString().contains("no ingress-nginx workload serves IngressClass nginx"),
                finding.notes().toString());
    }

    @Test
    void malformedObjectsNeverThrow() throws Exception {
        for (String json : List.of(
                "{\"apiVersion\":\"traefik.io/v1alpha1\",\"kind\":\"Middleware\",\"spec\":{\"ipAllowList\":{\"sourceRange\":\"10.0.0.0/8\"}}}",
                "{\"apiVersion\":\"gateway.envoyproxy.io/v1alpha1\",\"kind\":\"SecurityPolicy\",\"spec\":{\"authorization\":{\"rules\":7}}}",
                "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"annotations\":[]}}")) {
            Finding finding = rule.evaluate(
                    createSubject(io.sourceipguard.testing.Fixtures.JSON.readTree(json)),
                    clusterWithServices(List.of()));
            assertEquals(Outcome.SKIP, finding.outcome(), json);
        }
    }
}
