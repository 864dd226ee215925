package io.sourceipguard.policy;

import static io.sourceipguard.testing.Fixtures.create;
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
            "off, " + MASQ + ", true, false, ''"})
    void modesWrapTheRules(String mode, String fixture, boolean allowed, boolean patched, String warning) {
        PolicyEngine engine = TestPolicies.engine(Map.of("sourceip-guard.mode", mode));
        Decision decision = engine.evaluate(create(manifest(fixture)), ClusterView.UNAVAILABLE);
        assertEquals(allowed, decision.allowed(), decision.message());
        assertEquals(patched, decision.patched());
        if (warning.isEmpty()) {
            assertTrue(decision.warnings().stream().noneMatch(w -> w.contains("would") || w.contains("set ")), decision.warnings().toString());
        } else {
            assertTrue(decision.warnings().stream().anyMatch(w -> w.startsWith("sourceip-guard: [") && w.contains(warning)),
                    decision.warnings().toString());
        }
        if ("audit".equals(mode)) {
            assertTrue(decision.auditAnnotations().values().stream().allMatch(v -> v.startsWith("would-")),
                    decision.auditAnnotations().toString());
            assertFalse(decision.auditAnnotations().isEmpty());
        }
    }

    @Test
    void aPerRuleOverrideBeatsTheGlobalMode() {
        PolicyEngine engine = TestPolicies.engine(Map.of("sourceip-guard.mode", "audit",
                "sourceip-guard.rules.service-external-traffic-policy.mode", "enforce"));
        assertTrue(engine.evaluate(create(manifest(LB)), ClusterView.UNAVAILABLE).patched());
        assertTrue(engine.evaluate(create(manifest(MASQ)), ClusterView.UNAVAILABLE).allowed());
    }

    @Test
    void everyRuleReportsOneFindingAndPhasesSelectTheirRules() {
        PolicyEngine engine = TestPolicies.engine(Map.of());
        Decision all = engine.evaluate(create(manifest(LB)), ClusterView.UNAVAILABLE);
        assertEquals(List.of("service-external-traffic-policy", "ingress-node-pool", "gateway-config", "masquerade-config",
                "allow-list-source-ip"), all.findings().stream().map(Finding::rule).toList());
        assertEquals(List.of(Outcome.MUTATE, Outcome.SKIP, Outcome.SKIP, Outcome.SKIP, Outcome.SKIP), all.findings().stream().map(Finding::outcome).toList());
        Decision validating = engine.evaluate(create(manifest(LB)), ClusterView.UNAVAILABLE, Rule.Phase.VALIDATING);
        assertEquals(List.of("masquerade-config", "allow-list-source-ip"), validating.findings().stream().map(Finding::rule).toList());
        assertFalse(validating.patched());
    }

    @Test
    void aDenialNamesTheRuleAndCarriesNoPatch() {
        Decision decision = TestPolicies.engine(Map.of()).evaluate(create(manifest(MASQ)), ClusterView.UNAVAILABLE);
        assertTrue(decision.message().startsWith("[masquerade-config] "), decision.message());
        assertTrue(decision.patch().isEmpty());
    }

    @Test
    void badConfigurationStopsTheBootWithTheKeyNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TestPolicies.engine(Map.of("sourceip-guard.rules.masquerade-config.protected-cidrs", "10.0.0.1/8")));
        assertTrue(e.getMessage().startsWith("invalid configuration sourceip-guard.rules.masquerade-config.protected-cidrs"),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TestPolicies.engine(Map.of("sourceip-guard.mode", "loud")));
        assertTrue(e.getMessage().contains("use enforce, audit or off"), e.getMessage());
    }
}
