package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.clusterWith;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MasqueradeConfigRuleTest {

    private static final String PROTECTED = "sourceip-guard.rules.masquerade-config.protected-cidrs";
    private static final String MUST = "sourceip-guard.rules.masquerade-config.must-masquerade-cidrs";
    private static final ClusterView NO_SIBLINGS = clusterWith(List.of());
    // All of IPv4 but IMDS and 168.63.129.16, link-local masqueraded: AKS's own eBPF config.
    private static final String COMPLETE = manifest("ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml")
            .at("/data/config")
            .asText();

    private static MasqueradeConfigRule rule(Map<String, String> config) {
        return new MasqueradeConfigRule(TestPolicies.settings(config).masq());
    }

    private static ObjectNode config(String name, String key, String value) {
        ObjectNode cm = Fixtures.JSON.createObjectNode();
        cm.put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name).put("namespace", "kube-system");
        cm.putObject("data").put(key, value);
        return cm;
    }

    @Test
    void theAksDefaultsHidePodIpsFromTheInternetAndTheDenialListsTheGaps() {
        Finding finding =
                rule(Map.of()).evaluate(createSubject(manifest("aks-azure-ip-masq-agent-config.yaml")), NO_SIBLINGS);
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().startsWith("kube-system/azure-ip-masq-agent-config "), finding.message());
        assertTrue(finding.message().contains("masquerades pod traffic to 0.0.0.0/5, 8.0.0.0/7, "), finding.message());
        assertTrue(
                finding.message()
                        .contains("The complete fix: set data key 'ip-masq-agent' to nonMasqueradeCIDRs: "
                                + "[0.0.0.0/1, 128.0.0.0/3, "),
                finding.message());
        assertTrue(finding.message().contains("and masqLinkLocal: true (55 blocks)."), finding.message());
        assertTrue(!finding.message().contains("more"), "never a list cut short: " + finding.message());
    }

    // Coverage alone: the must-masquerade set is moved off link-local so that the real configs'
    // masqLinkLocal: false does not decide these rows (the IMDS checks have tests of their own).
    @ParameterizedTest(name = "{0} protecting {1} -> {2}")
    @CsvSource({
        "aks-azure-ip-masq-agent-config.yaml, 10.224.0.0/12, PASS",
        "aks-azure-ip-masq-agent-config.yaml, 10.0.0.0/8, DENY",
        "aks-azure-ip-masq-agent-config-reconciled.yaml, 10.224.0.0/12, PASS",
        "aks-azure-ip-masq-agent-config-reconciled-overlay.yaml, 10.244.0.0/16, PASS",
        "upstream-ip-masq-agent-config.yaml, 172.16.0.0/12, PASS",
        "upstream-ip-masq-agent-config.yaml, 0.0.0.0/0, DENY"
    })
    void realConfigsAgainstAProtectedRange(String fixture, String protectedCidr, Outcome expected) {
        Finding finding = rule(Map.of(PROTECTED, protectedCidr, MUST, "168.63.129.16/32"))
                .evaluate(createSubject(manifest(fixture)), NO_SIBLINGS);
        assertEquals(expected, finding.outcome(), finding.message());
    }

    @Test
    void aSiblingThatCompletesTheCoverageMakesItPass() {
        ObjectNode user = config("azure-ip-masq-agent-config", "ip-masq-agent", "nonMasqueradeCIDRs: [0.0.0.0/1]");
        ObjectNode sibling = config(
                "azure-ip-masq-agent-config-reconciled",
                "ip-masq-agent-reconciled",
                "nonMasqueradeCIDRs: [128.0.0.0/1]\nmasqLinkLocal: true");
        MasqueradeConfigRule rule = rule(Map.of());
        assertEquals(
                Outcome.DENY, rule.evaluate(createSubject(user), NO_SIBLINGS).outcome());
        assertEquals(
                Outcome.PASS,
                rule.evaluate(createSubject(user), clusterWith(List.of(user, sibling)))
                        .outcome());
    }

    @Test
    void anUnreadableClusterJudgesTheConfigAloneAndSaysSo() {
        ObjectNode user = config("azure-ip-masq-agent-config", "ip-masq-agent", COMPLETE);
        Finding finding = rule(Map.of()).evaluate(createSubject(user), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(
                finding.notes().stream().anyMatch(n -> n.contains("could not be read")),
                finding.notes().toString());
    }

    @Test
    void siblingsInOtherNamespacesOrWithOtherNamesDoNotCount() {
        ObjectNode user = config("azure-ip-masq-agent-config", "ip-masq-agent", "nonMasqueradeCIDRs: [0.0.0.0/1]");
        ObjectNode stranger = config("something-else", "ip-masq-agent", "nonMasqueradeCIDRs: [128.0.0.0/1]");
        assertEquals(
                Outcome.DENY,
                rule(Map.of())
                        .evaluate(createSubject(user), clusterWith(List.of(stranger)))
                        .outcome());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "'nonMasqueradeCIDRs: [\"\"]' | empty CIDR entry",
                "'nonMasqueradeCIDRs: [10.0.0.1/8]' | has host bits set",
                "'nonMasqueradeCIDRs: [not-a-cidr]' | is not a CIDR",
                "'nonMasqueradeCIDRs: [fd00::/8, 0.0.0.0/0]' | IPv6 is not enabled",
                "'nonMasqueradeCidrs: [0.0.0.0/0]' | did you mean 'nonMasqueradeCIDRs'",
                "'nonMasqueradeCIDRs: [0.0.0.0/0' | does not parse as YAML or JSON",
                "'{cidrLimit: 1, nonMasqueradeCIDRs: [0.0.0.0/1, 128.0.0.0/1]}' | more than the limit of 1"
            })
    void configsTheAgentWouldRejectAreDeniedWithTheReason(String value, String expected) {
        Finding finding = rule(Map.of())
                .evaluate(createSubject(config("azure-ip-masq-agent-config", "ip-masq-agent", value)), NO_SIBLINGS);
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().contains(expected), finding.message());
        assertTrue(finding.message().contains("data key 'ip-masq-agent'"), finding.message());
    }

    @Test
    void theUpstreamCidrLimitDefaultsTo64() {
        StringBuilder many = new StringBuilder("nonMasqueradeCIDRs:\n  - 0.0.0.0/1\n  - 128.0.0.0/1\n");
        for (int i = 0; i < 63; i++) {
            many.append("  - 10.").append(i).append(".0.0/16\n");
        }
        Finding finding =
                rule(Map.of()).evaluate(createSubject(config("ip-masq-agent", "config", many.toString())), NO_SIBLINGS);
        assertTrue(finding.message().contains("lists 65 CIDRs, more than the limit of 64"), finding.message());
    }

    @Test
    void ipv6IsJudgedWhenEnabled() {
        MasqueradeConfigRule rule = rule(
                Map.of(PROTECTED, "0.0.0.0/0,::/0", "sourceip-guard.rules.masquerade-config.ipv6-enabled", "true"));
        Finding finding = rule.evaluate(
                createSubject(config(
                        "azure-ip-masq-agent-config", "ip-masq-agent", "nonMasqueradeCIDRs: [0.0.0.0/0, '::/1']")),
                NO_SIBLINGS);
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().contains("masquerades pod traffic to 8000::/1,"), finding.message());
    }

    @Test
    void keysTheAgentDoesNotReadAreIgnored() {
        ObjectNode cm = config("azure-ip-masq-agent-config", "ip-masq-agent", COMPLETE);
        ((ObjectNode) cm.get("data")).put("README", "not yaml: [");
        assertEquals(
                Outcome.PASS,
                rule(Map.of()).evaluate(createSubject(cm), NO_SIBLINGS).outcome());
    }

    @Test
    void deletingARecognisedConfigIsDenied() {
        JsonNode cm = manifest("aks-azure-ip-masq-agent-config.yaml");
        Finding finding = rule(Map.of()).evaluate(Fixtures.as(Operation.DELETE, null, cm), NO_SIBLINGS);
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().startsWith("deleting kube-system/azure-ip-masq-agent-config"), finding.message());
    }

    @Test
    void otherConfigMapsAreNotLookedAt() {
        ObjectNode cm = config("coredns", "Corefile", ".:53 {}");
        assertEquals(false, rule(Map.of()).appliesTo(createSubject(cm)));
        ObjectNode elsewhere = config("azure-ip-masq-agent-config", "ip-masq-agent", "x");
        ((ObjectNode) elsewhere.get("metadata")).put("namespace", "default");
        assertEquals(false, rule(Map.of()).appliesTo(createSubject(elsewhere)));
    }
}
