package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.apply;
import static io.sourceipguard.testing.Fixtures.changedPaths;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.Fixtures;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceExternalTrafficPolicyRuleTest {

    private final ServiceExternalTrafficPolicyRule rule = new ServiceExternalTrafficPolicyRule(true);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "ingress-nginx-controller-service-cluster.yaml, MUTATE",
        "traefik-service.yaml, MUTATE",
        "haproxytech-ingress-service.yaml, MUTATE",
        "nodeport-service.yaml, MUTATE",
        "ingress-nginx-controller-service.yaml, PASS",
        "contour-envoy-service.yaml, PASS",
        "clusterip-service.yaml, SKIP",
        "headless-service.yaml, SKIP",
        "externalname-service.yaml, SKIP"
    })
    void realServices(String fixture, Outcome expected) {
        ObjectNode service = manifest(fixture);
        Finding finding = rule.evaluate(createSubject(service), ClusterView.UNAVAILABLE);
        assertEquals(expected, finding.outcome(), finding.message());
        if (expected == Outcome.MUTATE) {
            JsonNode patched = apply(service, finding.patch());
            assertEquals(
                    "Local", patched.path("spec").path("externalTrafficPolicy").asText());
            assertEquals(Set.of("/spec/externalTrafficPolicy"), changedPaths(service, patched));
            // idempotent: the patched object needs no further patch
            assertEquals(
                    Outcome.PASS,
                    rule.evaluate(createSubject(patched), ClusterView.UNAVAILABLE)
                            .outcome());
        } else {
            assertEquals(0, finding.patch().size());
        }
    }

    @Test
    void explicitClusterIsReplaced() {
        ObjectNode service = manifest("ingress-nginx-controller-service.yaml");
        ((ObjectNode) service.get("spec")).put("externalTrafficPolicy", "Cluster");
        Finding finding = rule.evaluate(createSubject(service), ClusterView.UNAVAILABLE);
        assertEquals("replace", finding.patch().get(0).op());
        assertEquals(
                "Local",
                apply(service, finding.patch())
                        .at("/spec/externalTrafficPolicy")
                        .asText());
    }

    @Test
    void nodePortCanBeLeftAlone() {
        Finding finding = new ServiceExternalTrafficPolicyRule(false)
                .evaluate(createSubject(manifest("nodeport-service.yaml")), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.SKIP, finding.outcome());
    }

    @Test
    void looksAtServicesOnCreateAndUpdateOnly() {
        ObjectNode service = manifest("traefik-service.yaml");
        assertEquals(true, rule.appliesTo(Fixtures.as(Operation.UPDATE, service, service)));
        assertEquals(false, rule.appliesTo(Fixtures.as(Operation.DELETE, null, service)));
        assertEquals(false, rule.appliesTo(createSubject(manifest("web-deployment.yaml"))));
    }
}
