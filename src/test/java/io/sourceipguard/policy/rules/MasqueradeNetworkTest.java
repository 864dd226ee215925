package io.sourceipguard.policy.rules;

import static io.sourceipguard.testing.Fixtures.apply;
import static io.sourceipguard.testing.Fixtures.clusterWith;
import static io.sourceipguard.testing.Fixtures.clusterWithNodes;
import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static io.sourceipguard.testing.Fixtures.node;
import static io.sourceipguard.testing.Fixtures.nodeWithPodCidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * The masquerade rule never asks for an outage: what it demands depends on the pod network the
 * Nodes show, IMDS and Azure's platform address always keep the node's IP, the platform's own
 * configs are never refused, and every denial's fix, applied as it is, passes.
 */
class MasqueradeNetworkTest {

    private static final String USER = "azure-ip-masq-agent-config";
    private static final Map<String, String> OVERLAY =
            Map.of("kubernetes.azure.com/podnetwork-type", "overlay", "kubernetes.azure.com/azure-cni-overlay", "true");
    private static final Map<String, String> FLAT = Map.of("kubernetes.azure.com/agentpool", "system");
    private static final Map<String, String> POD_SUBNET = Map.of("kubernetes.azure.com/podnetwork-type", "vnet");
    private static final String COMPLETE = manifest("ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml")
            .at("/data/config")
            .asText();

    private static MasqueradeConfigRule rule(Map<String, String> config) {
        return new MasqueradeConfigRule(TestPolicies.settings(config).masq());
    }

    private static MasqueradeConfigRule rule() {
        return rule(Map.of());
    }

    private static ObjectNode config(String name, String value) {
        ObjectNode cm = Fixtures.JSON.createObjectNode();
        cm.put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name).put("namespace", "kube-system");
        cm.putObject("data").put(name.equals(USER) ? "ip-masq-agent" : "ip-masq-agent-reconciled", value);
        return cm;
    }

    private static ClusterView overlayCluster(JsonNode... configMaps) {
        return clusterWithNodes(List.of(configMaps), List.of(node("aks-nodepool1-0", OVERLAY)));
    }

    @Test
    void aksOwnOverlayConfigIsAdmittedOnAnOverlayCluster() {
        ObjectNode reconciled = manifest("aks-azure-ip-masq-agent-config-reconciled-overlay.yaml");
        ObjectNode user = config(USER, "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true");
        Finding finding = rule().evaluate(createSubject(user), overlayCluster(reconciled));
        assertEquals(Outcome.PASS, finding.outcome(), finding.message());
    }

    @Test
    void stoppingMasqueradeForTheInternetOnOverlayIsDeniedBecauseItCutsEgress() {
        ObjectNode reconciled = manifest("aks-azure-ip-masq-agent-config-reconciled-overlay.yaml");
        ObjectNode user = config(USER, COMPLETE);
        Finding finding = rule().evaluate(createSubject(user), overlayCluster(reconciled));
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(
                finding.message()
                        .contains("outside the cluster's own ranges (10.244.0.0/16), which cuts the pods' egress"),
                finding.message());
        assertTrue(finding.message().contains("pod IPs exist only inside the cluster"), finding.message());
        assertTrue(finding.message().contains("kubernetes.azure.com/static-gateway-configuration"), finding.message());
        assertTrue(
                finding.message()
                        .contains("The complete fix: set data key 'ip-masq-agent' to nonMasqueradeCIDRs: "
                                + "[10.244.0.0/16] (1 block)."),
                finding.message());
    }

    @Test
    void theFieldReportsFixIsNeverAskedForOnOverlay() {
        // AKS's own user config shape on overlay: the old rule asked to add 0.0.0.0/0, the outage itself.
        ObjectNode user = config(USER, "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true");
        Finding finding = rule().evaluate(
                        createSubject(user),
                        clusterWithNodes(
                                List.of(),
                                List.of(new ClusterView.NodeMeta(
                                        "aks-1", OVERLAY, List.of(), List.of("10.244.0.0/24")))));
        assertEquals(Outcome.PASS, finding.outcome(), finding.message());
        assertTrue(
                finding.notes().stream().anyMatch(n -> n.contains("10.244.1.0/24, 10.244.2.0/23")),
                finding.notes().toString());
    }

    @Test
    void unknownClusterRangesGivePrivateRangesTheBenefitOfTheDoubtButNeverPublicOnes() {
        ObjectNode privateOnly = config(USER, "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true");
        Finding admitted = rule().evaluate(createSubject(privateOnly), overlayCluster());
        assertEquals(Outcome.PASS, admitted.outcome());
        assertTrue(
                admitted.notes().stream()
                        .anyMatch(n -> n.contains("pod ranges are not known exactly") && n.contains("10.244.0.0/16")),
                admitted.notes().toString());
        ObjectNode everything = config(USER, COMPLETE);
        Finding denied = rule().evaluate(createSubject(everything), overlayCluster());
        assertEquals(Outcome.DENY, denied.outcome());
        assertTrue(
                denied.message()
                        .contains("nonMasqueradeCIDRs: [10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12, 192.168.0.0/16]"),
                denied.message());
    }

    @Test
    void configuredClusterCidrsWin() {
        ObjectNode user = config(USER, "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true");
        Finding finding = rule(Map.of(
                        "sourceip-guard.rules.masquerade-config.pod-network",
                        "overlay",
                        "sourceip-guard.rules.masquerade-config.cluster-cidrs",
                        "192.168.0.0/16"))
                .evaluate(createSubject(user), ClusterView.UNAVAILABLE);
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().contains("rules.masquerade-config.pod-network=overlay"), finding.message());
    }

    @Test
    void kubenetNodesAreJudgedAsOverlay() {
        ObjectNode user = config(USER, COMPLETE);
        Finding finding = rule().evaluate(
                        createSubject(user),
                        clusterWithNodes(List.of(), List.of(nodeWithPodCidr("aks-kubenet-0", "10.244.1.0/24"))));
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().contains("(kubenet)"), finding.message());
        assertTrue(
                finding.message().contains("[10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12, 192.168.0.0/16]"),
                finding.message());
    }

    @Test
    void oneOverlayNodeInAMixedClusterDecides() {
        ObjectNode user = config(USER, COMPLETE);
        Finding finding = rule().evaluate(
                        createSubject(user),
                        clusterWithNodes(List.of(), List.of(node("flat-0", FLAT), node("overlay-0", OVERLAY))));
        assertEquals(Outcome.DENY, finding.outcome());
    }

    @Test
    void flatAzureCniDemandsCoverageAsTheFieldReportAsks() {
        ObjectNode user = config(USER, "nonMasqueradeCIDRs: [10.224.0.0/12]\nmasqLinkLocal: true");
        Finding finding =
                rule().evaluate(createSubject(user), clusterWithNodes(List.of(), List.of(node("aks-system-0", FLAT))));
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(finding.message().contains("so the firewall sees node IPs instead of pod IPs"), finding.message());
        assertEquals(
                Outcome.PASS,
                rule().evaluate(
                                createSubject(config(USER, COMPLETE)),
                                clusterWithNodes(List.of(), List.of(node("aks-system-0", FLAT))))
                        .outcome());
    }

    @Test
    void aPodSubnetHasNothingToEnforceButImds() {
        ClusterView cluster = clusterWithNodes(List.of(), List.of(node("aks-1", POD_SUBNET)));
        Finding finding = rule().evaluate(
                        createSubject(config(USER, "nonMasqueradeCIDRs: [10.0.0.0/8]\nmasqLinkLocal: true")), cluster);
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(
                finding.notes().stream().anyMatch(n -> n.contains("pod subnet network")),
                finding.notes().toString());
        assertEquals(
                Outcome.DENY,
                rule().evaluate(createSubject(config(USER, "nonMasqueradeCIDRs: [10.0.0.0/8]")), cluster)
                        .outcome(),
                "link-local left unmasqueraded breaks IMDS whatever the network");
    }

    @Test
    void unreadableNodesAreJudgedAsOverlayWithAWarning() {
        ClusterView unsynced = clusterWithNodes(List.of(), null);
        Finding everything = rule().evaluate(createSubject(config(USER, COMPLETE)), unsynced);
        assertEquals(Outcome.DENY, everything.outcome());
        Finding aksShape = rule().evaluate(
                        createSubject(config(USER, "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true")),
                        unsynced);
        assertEquals(Outcome.PASS, aksShape.outcome());
        assertTrue(
                aksShape.notes().stream()
                        .anyMatch(n -> n.contains("Nodes cannot be read yet") && n.contains("judged as overlay")),
                aksShape.notes().toString());
    }

    @Test
    void withoutAnyClusterTheConfigurationDecidesAndSaysSo() {
        Finding finding = rule().evaluate(createSubject(config(USER, COMPLETE)), clusterWith(List.of()));
        assertEquals(Outcome.PASS, finding.outcome());
        assertTrue(
                finding.notes().stream().anyMatch(n -> n.contains("cluster facts were not checked")),
                finding.notes().toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "'nonMasqueradeCIDRs: [0.0.0.0/0]\nmasqLinkLocal: true' | 169.254.169.254/32, 168.63.129.16/32",
                "'nonMasqueradeCIDRs: [168.63.0.0/16]\nmasqLinkLocal: true' | 168.63.129.16/32"
            })
    void destinationsThatAnswerOnlyTheNodeMustStayMasqueraded(String value, String named) {
        Finding finding = rule().evaluate(createSubject(config(USER, value)), clusterWith(List.of()));
        assertEquals(Outcome.DENY, finding.outcome());
        assertTrue(
                finding.message()
                        .contains("stops masquerading pod traffic to " + named
                                + ", which answers only the node's own IP"),
                finding.message());
    }

    @Test
    void linkLocalLeftAloneBreaksImdsUnlessAnyFileMasqueradesIt() {
        String cidrs = COMPLETE.replace("masqLinkLocal: true", "");
        Finding alone = rule().evaluate(createSubject(config(USER, cidrs)), clusterWith(List.of()));
        assertEquals(Outcome.DENY, alone.outcome());
        assertTrue(alone.message().contains("masqLinkLocal is not true in any config file"), alone.message());
        assertTrue(alone.message().contains("and masqLinkLocal: true"), alone.message());
        // Azure's agent ORs the switch over its files: AKS's reconciled config sets it.
        ObjectNode reconciled = manifest("aks-azure-ip-masq-agent-config-reconciled.yaml");
        assertEquals(
                Outcome.PASS,
                rule().evaluate(createSubject(config(USER, cidrs)), clusterWith(List.of(reconciled)))
                        .outcome());
    }

    @Test
    void aksOwnEbpfConfigPassesAsItIs() {
        Finding finding = rule().evaluate(
                        createSubject(manifest("ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml")),
                        clusterWith(List.of()));
        assertEquals(Outcome.PASS, finding.outcome(), finding.message());
    }

    @Test
    void thePlatformsOwnConfigIsJudgedButNeverRefused() {
        ObjectNode reconciled = manifest("aks-azure-ip-masq-agent-config-reconciled.yaml");
        Finding finding = rule().evaluate(createSubject(reconciled), clusterWith(List.of()));
        assertEquals(Outcome.WARN, finding.outcome());
        assertTrue(
                finding.message().startsWith("admitted: the platform writes azure-ip-masq-agent-config-reconciled"),
                finding.message());
        assertFalse(finding.patch().isEmpty(), "the fix is kept for the report");
        Finding deleted = rule().evaluate(Fixtures.as(Operation.DELETE, null, reconciled), clusterWith(List.of()));
        assertEquals(Outcome.WARN, deleted.outcome());
    }

    @Test
    void deletingTheUserConfigOnOverlayBreaksNothing() {
        Finding finding =
                rule().evaluate(Fixtures.as(Operation.DELETE, null, config(USER, COMPLETE)), overlayCluster());
        assertEquals(Outcome.PASS, finding.outcome());
    }

    // The complete fix, applied as it is, passes: on every network and for every real config.
    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
        "aks-azure-ip-masq-agent-config.yaml, routable",
        "aks-azure-ip-masq-agent-config.yaml, overlay",
        "upstream-ip-masq-agent-config.yaml, routable",
        "upstream-ip-masq-agent-config.yaml, overlay",
        "upstream-ip-masq-agent-config.yaml, pod-subnet",
        "aks-azure-ip-masq-agent-config-reconciled.yaml, routable"
    })
    void theFixPassesWhenApplied(String fixture, String network) {
        MasqueradeConfigRule rule = rule(Map.of(
                "sourceip-guard.rules.masquerade-config.pod-network",
                network,
                "sourceip-guard.rules.masquerade-config.cluster-cidrs",
                "10.244.0.0/16",
                "sourceip-guard.rules.masquerade-config.platform-names",
                "none"));
        ObjectNode cm = manifest(fixture);
        Finding finding = rule.evaluate(createSubject(cm), clusterWith(List.of()));
        assertEquals(Outcome.DENY, finding.outcome());
        JsonNode fixed = apply(cm, finding.patch());
        assertEquals(
                List.of("/data/" + cm.path("data").fieldNames().next()),
                List.copyOf(Fixtures.changedPaths(cm, fixed)),
                "only the config file changes");
        Finding after = rule.evaluate(createSubject(fixed), clusterWith(List.of()));
        assertEquals(Outcome.PASS, after.outcome(), after.message());
    }

    // --- what each agent really reads ---------------------------------------------------------

    @Test
    void aKeyTheAgentNeverReadsGivesNoCoverage() {
        ObjectNode cm = config(USER, "nonMasqueradeCIDRs: [10.0.0.0/8]\nmasqLinkLocal: true");
        cm.with("data").put("config", COMPLETE);
        Finding finding = rule().evaluate(createSubject(cm), clusterWith(List.of()));
        assertEquals(Outcome.DENY, finding.outcome(), "Azure's agent reads only key ip-masq-agent of " + USER);
        assertTrue(
                finding.notes().stream()
                        .anyMatch(n -> n.startsWith("data key 'config' is read by no agent that mounts " + USER
                                + " (azure-ip-masq-agent (ip-masq-agent-v2))")),
                finding.notes().toString());
    }

    @Test
    void binaryDataIsReadLikeData() {
        ObjectNode cm = config(USER, "unused");
        ((ObjectNode) cm.get("data")).remove("ip-masq-agent");
        cm.putObject("binaryData")
                .put(
                        "ip-masq-agent",
                        java.util.Base64.getEncoder()
                                .encodeToString(COMPLETE.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(
                Outcome.PASS,
                rule().evaluate(createSubject(cm), clusterWith(List.of())).outcome());
        cm.with("binaryData")
                .put(
                        "ip-masq-agent",
                        java.util.Base64.getEncoder()
                                .encodeToString(
                                        "nonMasqueradeCidrs: []".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Finding broken = rule().evaluate(createSubject(cm), clusterWith(List.of()));
        assertTrue(broken.message().contains("did you mean 'nonMasqueradeCIDRs'"), broken.message());
    }

    @Test
    void aSiblingKeyTheAgentDoesNotMountGivesNoCoverage() {
        ObjectNode user = config(USER, "nonMasqueradeCIDRs: [0.0.0.0/1]\nmasqLinkLocal: true");
        ObjectNode mounted = config("azure-ip-masq-agent-config-reconciled", "nonMasqueradeCIDRs: [128.0.0.0/1]");
        ObjectNode unmounted = mounted.deepCopy();
        ObjectNode data = (ObjectNode) unmounted.get("data");
        data.set("ip-masq-agent", data.remove("ip-masq-agent-reconciled"));
        assertEquals(
                Outcome.PASS,
                rule().evaluate(createSubject(user), clusterWith(List.of(mounted)))
                        .outcome());
        assertEquals(
                Outcome.DENY,
                rule().evaluate(createSubject(user), clusterWith(List.of(unmounted)))
                        .outcome());
    }

    @Test
    void theUpstreamAgentReadsOnlyItsOneFile() {
        ObjectNode cm = Fixtures.JSON.createObjectNode();
        cm.put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", "ip-masq-agent").put("namespace", "kube-system");
        cm.putObject("data").put("config", COMPLETE).put("ip-masq-agent-extra", "nonMasqueradeCIDRs: [not-a-cidr]");
        Finding finding = rule().evaluate(createSubject(cm), clusterWith(List.of()));
        assertEquals(Outcome.PASS, finding.outcome(), "the extra key is never parsed: " + finding.message());
        assertTrue(
                finding.notes().stream()
                        .anyMatch(n -> n.startsWith("data key 'ip-masq-agent-extra' is read by no agent")),
                finding.notes().toString());
    }

    // The agents the cluster runs, read from their DaemonSets, decide which keys count.
    private static ClusterView runningAgents(String... daemonSets) {
        List<io.sourceipguard.report.Manifest> manifests = new java.util.ArrayList<>();
        for (String daemonSet : daemonSets) {
            manifests.add(new io.sourceipguard.report.Manifest(manifest(daemonSet), daemonSet));
        }
        return new io.sourceipguard.report.ManifestClusterView(manifests);
    }

    @Test
    void theRunningAgentsDaemonSetDecidesWhichKeysCount() {
        ClusterView v2 = runningAgents("agents/ip-masq-agent-v2-daemonset.yaml");
        ObjectNode underConfig = config("ip-masq-agent-config", "unused");
        ((ObjectNode) underConfig.get("data")).removeAll().put("config", COMPLETE);
        Finding unread = rule().evaluate(createSubject(underConfig), v2);
        assertEquals(Outcome.DENY, unread.outcome(), "the DaemonSet mounts only key ip-masq-agent");
        assertTrue(
                unread.notes().stream()
                        .anyMatch(n -> n.contains("read by no agent that mounts ip-masq-agent-config"
                                + " (DaemonSet kube-system/ip-masq-agent)")),
                unread.notes().toString());
        ((ObjectNode) underConfig.get("data")).removeAll().put("ip-masq-agent", COMPLETE);
        assertEquals(
                Outcome.PASS, rule().evaluate(createSubject(underConfig), v2).outcome());
    }

    @Test
    void theUpstreamDaemonSetReadsKeyConfigOfIpMasqAgent() {
        ClusterView upstream = runningAgents("agents/upstream-ip-masq-agent-daemonset.yaml");
        ObjectNode cm = Fixtures.JSON.createObjectNode();
        cm.put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", "ip-masq-agent").put("namespace", "kube-system");
        cm.putObject("data").put("ip-masq-agent", COMPLETE);
        Finding finding = rule().evaluate(createSubject(cm), upstream);
        assertEquals(Outcome.DENY, finding.outcome(), "key ip-masq-agent is not mounted: " + finding.message());
        assertTrue(finding.message().contains("set data key 'config' to"), finding.message());
    }
}
