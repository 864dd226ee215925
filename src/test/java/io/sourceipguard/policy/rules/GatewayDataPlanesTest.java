package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Gateway API data planes, from each project's own manifests: recognised as the entry point,
 * and never patched where their controller would write the field back (the warning names the source).
 */
class GatewayDataPlanesTest {

    private final IngressNodePoolRule pool =
            new IngressNodePoolRule(TestPolicies.defaults().ingressPool());
    private final ServiceExternalTrafficPolicyRule service = new ServiceExternalTrafficPolicyRule(true);

    @ParameterizedTest
    @CsvSource({
        "envoy-gateway-proxy-deployment.yaml, EnvoyProxy",
        "istio-gateway-deployment.yaml, gateway.istio.io/defaults-for-class",
        "nginx-gateway-fabric-nginx-deployment.yaml, NginxProxy spec.kubernetes.deployment.pod.nodeSelector"
    })
    void gatewayDataPlanesAreRecognisedAndSteeredAtTheirSource(String fixture, String source) {
        Finding finding = pool.evaluate(createSubject(manifest(fixture)), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.WARN, finding.outcome(), finding.message());
        assertTrue(finding.patch().isEmpty(), "no patch a controller would undo");
        assertTrue(finding.message().contains(source), finding.message());
        assertTrue(
                finding.message().contains("nodeSelector kubernetes.azure.com/agentpool=ingress"), finding.message());
    }

    @Test
    void ciliumsPerNodeEnvoyIsReportedNotPinned() {
        Finding finding =
                pool.evaluate(createSubject(manifest("cilium-envoy-daemonset.yaml")), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.patch().isEmpty());
        assertTrue(finding.message().contains("cannot be pinned"), finding.message());
        assertTrue(finding.message().contains("CiliumGatewayClassConfig"), finding.message());
    }

    @Test
    void aSelfManagedDataPlaneWithTheGatewayMarkIsStillPinned() {
        ObjectNode workload = manifest("nginx-gateway-fabric-nginx-deployment.yaml");
        // Written by hand (kubectl apply), not by a controller: no owner to fight. The pods still carry the
        // Gateway's annotation, which recognises the data plane.
        ((ObjectNode) workload.get("metadata")).remove(List.of("labels", "annotations"));
        assertEquals(
                Outcome.MUTATE,
                pool.evaluate(createSubject(workload), ClusterView.UNAVAILABLE).outcome());
    }

    @ParameterizedTest
    @CsvSource({
        "envoy-gateway-proxy-service.yaml",
        "nginx-gateway-fabric-nginx-service.yaml",
        "cilium-gateway-service.yaml"
    })
    void gatewayServicesThatAreLocalPass(String fixture) {
        assertEquals(
                Outcome.PASS,
                service.evaluate(createSubject(manifest(fixture)), ClusterView.UNAVAILABLE)
                        .outcome());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "istio-gateway-service.yaml | Istio reconciles it for Gateway default: set the 'service' overlay",
                "envoy-gateway-proxy-service.yaml | spec.provider.kubernetes.envoyService.externalTrafficPolicy: Local",
                "cilium-gateway-service.yaml | CiliumGatewayClassConfig",
                "nginx-gateway-fabric-nginx-service.yaml | NginxProxy spec.kubernetes.service.externalTrafficPolicy"
            })
    void aControllerOwnedClusterServiceIsWarnedNotPatched(String fixture, String source) {
        ObjectNode svc = manifest(fixture);
        ((ObjectNode) svc.get("spec")).put("externalTrafficPolicy", "Cluster");
        Finding finding = service.evaluate(createSubject(svc), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.WARN, finding.outcome(), finding.message());
        assertTrue(finding.message().contains(source), finding.message());
        assertTrue(finding.message().contains("(would set spec.externalTrafficPolicy=Local"), finding.message());
        assertTrue(finding.patch().isEmpty(), "no fix a controller would undo, not even for --write-fixed");
    }

    @Test
    // Helm writes only on install and upgrade, and each such write is patched again: no loop to avoid.
    void aHelmReleaseIsPatchedAndItsChartValueNamed() {
        ObjectNode svc = manifest("ingress-nginx-controller-service-cluster.yaml");
        ((ObjectNode) svc.get("metadata"))
                .putObject("annotations")
                .put("meta.helm.sh/release-name", "ingress-nginx")
                .put("meta.helm.sh/release-namespace", "ingress");
        Finding finding = service.evaluate(createSubject(svc), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.MUTATE, finding.outcome());
        assertTrue(
                finding.notes().stream()
                        .anyMatch(n -> n.startsWith("Helm release ingress/ingress-nginx installed it")
                                && n.contains("controller.service.externalTrafficPolicy")),
                finding.notes().toString());
    }

    @Test
    void anOwnerReferenceThatControlsIsNamed() {
        ObjectNode svc = manifest("ingress-nginx-controller-service-cluster.yaml");
        ((ObjectNode) svc.get("metadata"))
                .putArray("ownerReferences")
                .addObject()
                .put("apiVersion", "example.io/v1")
                .put("kind", "Proxy")
                .put("name", "edge")
                .put("controller", true);
        Finding finding = service.evaluate(createSubject(svc), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(finding.message().contains("Proxy edge owns it"), finding.message());
    }

    @Test
    void anOwnerReferenceThatDoesNotControlIsNoOwner() {
        ObjectNode svc = manifest("ingress-nginx-controller-service-cluster.yaml");
        ((ObjectNode) svc.get("metadata"))
                .putArray("ownerReferences")
                .addObject()
                .put("apiVersion", "example.io/v1")
                .put("kind", "Proxy")
                .put("name", "edge");
        assertEquals(
                Outcome.MUTATE,
                service.evaluate(createSubject(svc), ClusterView.UNAVAILABLE).outcome());
    }

    @Test
    void aBareKeyMeansTheLabelExists() {
        WorkloadSelector selector = WorkloadSelector.parse("gateway.networking.k8s.io/gateway-name");
        assertTrue(selector.matches(manifest("istio-gateway-deployment.yaml")));
        assertTrue(!selector.matches(manifest("web-deployment.yaml")));
    }

    @Test
    void anAnnotationTermMeansTheAnnotationExists() {
        ObjectNode ngf = manifest("nginx-gateway-fabric-nginx-deployment.yaml");
        assertTrue(WorkloadSelector.parse("annotation:gateway.networking.k8s.io/gateway-name")
                .matches(ngf));
        // NGINX Gateway Fabric names the Gateway in an annotation: the label alone no longer recognises it.
        assertTrue(!WorkloadSelector.parse("gateway.networking.k8s.io/gateway-name")
                .matches(ngf));
        assertTrue(!WorkloadSelector.parse("annotation:gateway.networking.k8s.io/gateway-name")
                .matches(manifest("istio-gateway-deployment.yaml")));
        for (String text : new String[] {"annotation:", "annotation:a=b", "app=web,annotation: "}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> WorkloadSelector.parse(text));
            assertTrue(e.getMessage().contains("annotation: needs the key"), e.getMessage());
        }
    }

    @Test
    void anEmptyTermIsRefusedWhereverItStands() {
        for (String text : new String[] {"app=web,,tier=edge", "app=web,", ",app=web"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> WorkloadSelector.parse(text));
            assertTrue(e.getMessage().contains("term ''"), e.getMessage());
        }
    }
}
