package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.clusterWith;
import static io.sourceipguard.testing.Fixtures.clusterWithNodes;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static io.sourceipguard.testing.Fixtures.node;
import static io.sourceipguard.testing.Fixtures.nodeWithPodCidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The masquerade rule remembers its last findings, so a config written again is not judged
 * again; every input of a judgement is part of what it remembers them by, so nothing that
 * changes a verdict (the config, its key order, its siblings, the Nodes) gets a stale one.
 * Each test judges twice with one rule instance, as the webhook does.
 */
class MasqueradeRememberedVerdictsTest {

    private static final String USER = "azure-ip-masq-agent-config";
    private static final Map<String, String> OVERLAY =
            Map.of("kubernetes.azure.com/podnetwork-type", "overlay", "kubernetes.azure.com/azure-cni-overlay", "true");
    private static final Map<String, String> FLAT = Map.of("kubernetes.azure.com/agentpool", "system");
    private static final String COMPLETE = manifest("ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml")
            .at("/data/config")
            .asText();

    private final MasqueradeConfigRule rule =
            new MasqueradeConfigRule(TestPolicies.settings(Map.of()).masq());

    private static ObjectNode config(String name, Map<String, String> data) {
        ObjectNode cm = Fixtures.JSON.createObjectNode();
        cm.put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name).put("namespace", "kube-system");
        ObjectNode files = cm.putObject("data");
        data.forEach(files::put);
        return cm;
    }

    private static ObjectNode user(String config) {
        return config(USER, Map.of("ip-masq-agent", config));
    }

    @Test
    void theSameConfigWrittenAgainGetsTheFindingAlreadyMade() {
        Finding first =
                rule.evaluate(createSubject(manifest("aks-azure-ip-masq-agent-config.yaml")), clusterWith(List.of()));
        Finding again =
                rule.evaluate(createSubject(manifest("aks-azure-ip-masq-agent-config.yaml")), clusterWith(List.of()));
        assertEquals(Outcome.DENY, first.outcome());
        assertSame(first, again, "judged once, answered twice");
    }

    @Test
    void aChangedConfigIsJudgedAgain() {
        Finding denied = rule.evaluate(createSubject(user("nonMasqueradeCIDRs: [0.0.0.0/1]")), clusterWith(List.of()));
        Finding admitted = rule.evaluate(createSubject(user(COMPLETE)), clusterWith(List.of()));
        assertEquals(Outcome.DENY, denied.outcome());
        assertEquals(Outcome.PASS, admitted.outcome(), admitted.message());
    }

    @Test
    void aSiblingWrittenAfterADenialIsTakenIntoAccount() {
        ObjectNode user = user("nonMasqueradeCIDRs: [0.0.0.0/1]");
        ObjectNode sibling = config(
                "azure-ip-masq-agent-config-reconciled",
                Map.of("ip-masq-agent-reconciled", "nonMasqueradeCIDRs: [128.0.0.0/1]\nmasqLinkLocal: true"));
        Finding alone = rule.evaluate(createSubject(user), clusterWith(List.of()));
        Finding withSibling = rule.evaluate(createSubject(user), clusterWith(List.of(sibling)));
        assertEquals(Outcome.DENY, alone.outcome());
        assertEquals(Outcome.PASS, withSibling.outcome(), withSibling.message());
    }

    @Test
    void nodesThatShowAnotherNetworkChangeTheVerdict() {
        ObjectNode user = user(COMPLETE);
        Finding flat =
                rule.evaluate(createSubject(user), clusterWithNodes(List.of(), List.of(node("aks-nodepool1-0", FLAT))));
        Finding overlay = rule.evaluate(
                createSubject(user), clusterWithNodes(List.of(), List.of(node("aks-nodepool1-0", OVERLAY))));
        assertEquals(Outcome.PASS, flat.outcome(), flat.message());
        assertEquals(Outcome.DENY, overlay.outcome());
    }

    @Test
    void aNodesPodRangeDecidesWhatAnOverlayConfigMayLeaveUnmasqueraded() {
        ObjectNode user = user("nonMasqueradeCIDRs: [20.1.0.0/24]\nmasqLinkLocal: true");
        Finding inside = rule.evaluate(
                createSubject(user),
                clusterWithNodes(List.of(), List.of(nodeWithPodCidr("aks-kubenet-0", "20.1.0.0/24"))));
        Finding outside = rule.evaluate(
                createSubject(user),
                clusterWithNodes(List.of(), List.of(nodeWithPodCidr("aks-kubenet-0", "10.244.1.0/24"))));
        assertEquals(Outcome.PASS, inside.outcome(), inside.message());
        assertEquals(Outcome.DENY, outside.outcome());
    }

    @Test
    void theFirstKeyOfTheObjectTakesTheFixWhateverWasJudgedBefore() {
        MasqueradeConfigRule byHand = new MasqueradeConfigRule(
                TestPolicies.settings(Map.of("sourceip-guard.rules.masquerade-config.names", "my-masq"))
                        .masq());
        String open = "nonMasqueradeCIDRs: [0.0.0.0/1]";
        Map<String, String> ab = new java.util.LinkedHashMap<>();
        ab.put("ip-masq-agent-a", open);
        ab.put("ip-masq-agent-b", open);
        Map<String, String> ba = new java.util.LinkedHashMap<>();
        ba.put("ip-masq-agent-b", open);
        ba.put("ip-masq-agent-a", open);
        Finding first = byHand.evaluate(createSubject(config("my-masq", ab)), clusterWith(List.of()));
        Finding second = byHand.evaluate(createSubject(config("my-masq", ba)), clusterWith(List.of()));
        assertTrue(first.message().contains("set data key 'ip-masq-agent-a'"), first.message());
        assertTrue(second.message().contains("set data key 'ip-masq-agent-b'"), second.message());
    }
}
