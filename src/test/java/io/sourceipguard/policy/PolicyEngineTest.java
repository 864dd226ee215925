package io.sourceipguard.policy;

import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyEngineTest {

    private static final String LB = "traefik-service.yaml";
    private static final String MASQ = "aks-azure-ip-masq-agent-config.yaml";

    @ParameterizedTest(name = "{0} mode, {1}: allowed={2} patched={3} warning={4}")
    @CsvSource({
        "enforce, " + LB + ", true, true, set spec.externalTrafficPolicy=Local",
        "audit, " + LB + ", true, false, would set spec.externalTrafficPolicy=Local",
        "off, " + LB + ", true, false, ''",
        "enforce, " + MASQ + ", false, false, ''",
        "audit, " + MASQ + ", true, false, would deny",
        "off, " + MASQ + ", true, false, ''"
    })
    void modesWrapTheRules(String mode, String fixture, boolean allowed, boolean patched, String warning) {
        PolicyEngine engine = TestPolicies.engine(Map.of("sourceip-guard.mode", mode));
        Decision decision = engine.evaluate(createSubject(manifest(fixture)), ClusterView.UNAVAILABLE);
        assertEquals(allowed, decision.allowed(), decision.message());
        assertEquals(patched, decision.patched());
        if (warning.isEmpty()) {
            assertTrue(
                    decision.warnings().stream().noneMatch(w -> w.contains("would") || w.contains("set ")),
                    decision.warnings().toString());
        } else {
            assertTrue(
                    decision.warnings().stream()
                            .anyMatch(w -> w.startsWith("sourceip-guard: [") && w.contains(warning)),
                    decision.warnings().toString());
        }
        if ("audit".equals(mode)) {
            assertTrue(
                    decision.auditAnnotations().values().stream().allMatch(v -> v.startsWith("would-")),
                    decision.auditAnnotations().toString());
            assertFalse(decision.auditAnnotations().isEmpty());
        }
    }

    @Test
    void aPerRuleOverrideBeatsTheGlobalMode() {
        PolicyEngine engine = TestPolicies.engine(Map.of(
                "sourceip-guard.mode",
                "audit",
                "sourceip-guard.rules.service-external-traffic-policy.mode",
                "enforce"));
        assertTrue(engine.evaluate(createSubject(manifest(LB)), ClusterView.UNAVAILABLE)
                .patched());
        assertTrue(engine.evaluate(createSubject(manifest(MASQ)), ClusterView.UNAVAILABLE)
                .allowed());
    }

    @Test
    void everyRuleReportsOneFindingAndPhasesSelectTheirRules() {
        PolicyEngine engine = TestPolicies.engine(Map.of());
        Decision all = engine.evaluate(createSubject(manifest(LB)), ClusterView.UNAVAILABLE);
        assertEquals(
                List.of(
                        "service-external-traffic-policy",
                        "ingress-node-pool",
                        "gateway-config",
                        "masquerade-config",
                        "allow-list-source-ip"),
                all.findings().stream().map(Finding::rule).toList());
        assertEquals(
                List.of(Outcome.MUTATE, Outcome.SKIP, Outcome.SKIP, Outcome.SKIP, Outcome.SKIP),
                all.findings().stream().map(Finding::outcome).toList());
        Decision validating =
                engine.evaluate(createSubject(manifest(LB)), ClusterView.UNAVAILABLE, Rule.Phase.VALIDATING);
        assertEquals(
                List.of("masquerade-config", "allow-list-source-ip"),
                validating.findings().stream().map(Finding::rule).toList());
        assertFalse(validating.patched());
    }

    @Test
    void aDenialNamesTheRuleAndCarriesNoPatch() {
        Decision decision =
                TestPolicies.engine(Map.of()).evaluate(createSubject(manifest(MASQ)), ClusterView.UNAVAILABLE);
        assertTrue(decision.message().startsWith("[masquerade-config] "), decision.message());
        assertTrue(decision.patch().isEmpty());
    }

    @Test
    void badConfigurationStopsTheBootWithTheKeyNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> TestPolicies.engine(
                        Map.of("sourceip-guard.rules.masquerade-config.protected-cidrs", "10.0.0.1/8")));
        assertTrue(
                e.getMessage()
                        .startsWith("invalid configuration sourceip-guard.rules.masquerade-config.protected-cidrs"),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> TestPolicies.engine(Map.of("sourceip-guard.mode", "loud")));
        assertTrue(e.getMessage().contains("use enforce, audit or off"), e.getMessage());
    }

    // A review too large to read: judged from who asks for what, never waved through unjudged.
    @Test
    void anUnreadReviewIsRefusedWhereAnEnforcedRuleLooksAndAdmittedElsewhere() {
        PolicyEngine engine = TestPolicies.engine(java.util.Map.of(
                "sourceip-guard.exemptions.system-users", "system:serviceaccount:kube-system:addon-manager"));
        AdmissionSubject lb = new AdmissionSubject(
                io.sourceipguard.policy.Operation.UPDATE,
                "",
                "Service",
                "shop",
                "web",
                null,
                null,
                "dev",
                java.util.List.of("developers"),
                false);
        Decision refused = engine.unread(lb, ClusterView.UNAVAILABLE, Rule.Phase.MUTATING, "9 MiB");
        assertFalse(refused.allowed());
        assertTrue(
                refused.message()
                        .startsWith("[size] 9 MiB, so service-external-traffic-policy cannot judge Service shop/web"),
                refused.message());
        AdmissionSubject platform = new AdmissionSubject(
                io.sourceipguard.policy.Operation.UPDATE,
                "",
                "Service",
                "shop",
                "web",
                null,
                null,
                "system:serviceaccount:kube-system:addon-manager",
                java.util.List.of(),
                false);
        assertTrue(engine.unread(platform, ClusterView.UNAVAILABLE, Rule.Phase.MUTATING, "9 MiB")
                .allowed());
        PolicyEngine audit = TestPolicies.engine(java.util.Map.of("sourceip-guard.mode", "audit"));
        // audit mode admits what the rules find, but only an admin grants exemptions, in every mode
        Decision audited = audit.unread(lb, ClusterView.UNAVAILABLE, Rule.Phase.MUTATING, "9 MiB");
        assertFalse(audited.allowed());
        assertTrue(audited.message().contains("so the exemption guard cannot judge"), audited.message());
        AdmissionSubject delete = new AdmissionSubject(
                io.sourceipguard.policy.Operation.DELETE,
                "",
                "Service",
                "shop",
                "web",
                null,
                null,
                "dev",
                java.util.List.of("developers"),
                false);
        Decision deleted = audit.unread(delete, ClusterView.UNAVAILABLE, Rule.Phase.MUTATING, "9 MiB");
        assertTrue(deleted.allowed());
        assertTrue(
                deleted.warnings().get(0).contains("admitted unjudged"),
                deleted.warnings().toString());
    }

    // A status write keeps the spec but stores labels: only the guard judges it.
    @Test
    void aStatusWriteIsJudgedByTheGuardOnly() {
        PolicyEngine engine = TestPolicies.engine(Map.of());
        com.fasterxml.jackson.databind.node.ObjectNode old = manifest("ingress-nginx-controller-service-cluster.yaml");
        com.fasterxml.jackson.databind.node.ObjectNode labelled = old.deepCopy();
        labelled.with("metadata").with("labels").put(Keys.EXEMPT, "all");
        AdmissionSubject grant = new AdmissionSubject(
                Operation.UPDATE,
                "",
                "Service",
                "ingress-nginx",
                "ingress-nginx-controller",
                labelled,
                old,
                "dev",
                List.of("developers"),
                false,
                "status");
        Decision refused = engine.evaluate(grant, ClusterView.UNAVAILABLE, Rule.Phase.VALIDATING);
        assertFalse(refused.allowed());
        assertTrue(refused.message().startsWith("[exemption] only a cluster admin may grant"), refused.message());
        AdmissionSubject status = new AdmissionSubject(
                Operation.UPDATE,
                "",
                "Service",
                "ingress-nginx",
                "ingress-nginx-controller",
                old,
                old,
                "dev",
                List.of("developers"),
                false,
                "status");
        Decision plain = engine.evaluate(status, ClusterView.UNAVAILABLE, Rule.Phase.MUTATING);
        assertTrue(plain.allowed());
        assertTrue(plain.patch().isEmpty(), "no rule patches the spec of a status write");
    }
}
