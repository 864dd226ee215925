package io.sourceipguard.policy.masq;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Predicate;

/**
 * One ip-masq-agent as it reads its configuration: the ConfigMap keys its DaemonSet mounts, the
 * file names they get, and which of those files the agent parses. Coverage is judged per agent
 * from those files only: a key no agent mounts, or a file the agent skips, masquerades nothing.
 */
public record MasqAgent(String name, List<Mount> mounts, Files files) {

    /** One ConfigMap key mounted as a file of the agent's config directory; null key and path: every key. */
    public record Mount(String configMap, String key, String path) {}

    /** Which mounted files the agent parses. */
    public enum Files {
        /** ip-masq-agent-v2 reads every file whose name starts with {@code ip-masq} (cmd/ip-masq-agent-v2/ip-masq-agent.go). */
        IP_MASQ_PREFIX,
        /** The upstream agent, and Cilium's, read the one file {@code /etc/config/ip-masq-agent}. */
        IP_MASQ_AGENT_FILE
    }

    public MasqAgent {
        mounts = List.copyOf(mounts);
    }

    /**
     * The agent a DaemonSet runs, from its volumes: every ConfigMap {@code names} accepts that it
     * mounts, plain or projected, each key at its path (a ConfigMap mounted without items gives every
     * key at its own name: {@code key} and {@code path} are then null). Null when it mounts none.
     * Which files it parses follows its image: ip-masq-agent-v2 reads every {@code ip-masq*} file,
     * any other agent (upstream, Cilium) the one file {@code ip-masq-agent}.
     */
    public static MasqAgent fromDaemonSet(JsonNode daemonSet, Predicate<String> names) {
        JsonNode spec = daemonSet.path("spec").path("template").path("spec");
        List<Mount> mounts = new java.util.ArrayList<>();
        for (JsonNode volume : spec.path("volumes")) {
            mountsOf(volume.path("configMap"), names, mounts);
            for (JsonNode source : volume.path("projected").path("sources")) {
                mountsOf(source.path("configMap"), names, mounts);
            }
        }
        if (mounts.isEmpty()) {
            return null;
        }
        boolean v2 = false;
        for (JsonNode container : spec.path("containers")) {
            v2 |= container.path("image").asText("").contains("ip-masq-agent-v2");
        }
        String name = daemonSet.path("metadata").path("namespace").asText("") + "/"
                + daemonSet.path("metadata").path("name").asText("");
        return new MasqAgent("DaemonSet " + name, mounts, v2 ? Files.IP_MASQ_PREFIX : Files.IP_MASQ_AGENT_FILE);
    }

    private static void mountsOf(JsonNode configMap, Predicate<String> names, List<Mount> out) {
        String name = configMap.path("name").asText("");
        if (name.isEmpty() || !names.test(name)) {
            return;
        }
        if (!configMap.path("items").isArray() || configMap.path("items").isEmpty()) {
            out.add(new Mount(name, null, null));
            return;
        }
        for (JsonNode item : configMap.path("items")) {
            out.add(new Mount(
                    name,
                    item.path("key").asText(""),
                    item.path("path").asText(item.path("key").asText(""))));
        }
    }

    /** The mounted file of {@code key} of {@code configMap}, or null when the agent does not mount it. */
    public String pathOf(String configMap, String key) {
        for (Mount mount : mounts) {
            if (mount.configMap().equals(configMap)
                    && (mount.key() == null || mount.key().equals(key))) {
                return mount.key() == null ? key : mount.path();
            }
        }
        return null;
    }

    /** True when the agent parses the mounted file at {@code path}. */
    public boolean reads(String path) {
        return files == Files.IP_MASQ_PREFIX ? path.startsWith("ip-masq") : "ip-masq-agent".equals(path);
    }

    /** True when the agent mounts some key of {@code configMap}. */
    public boolean mounts(String configMap) {
        return mounts.stream().anyMatch(m -> m.configMap().equals(configMap));
    }

    /**
     * The agents as their own manifests mount them, for when the cluster's DaemonSets cannot be read:
     * AKS's azure-ip-masq-agent (ip-masq-agent-v2, with AKS's ConfigMap names and keys as in
     * Azure/azure-container-networking test/integration/manifests/ip-masq-agent/), ip-masq-agent-v2's
     * own example (Azure/ip-masq-agent-v2 examples/ip-masq-agent.yaml, projected sources with items),
     * and the upstream agent and Cilium's (kubernetes-sigs/ip-masq-agent README; cilium/cilium
     * install/kubernetes/cilium/templates/cilium-agent/daemonset.yaml: key {@code config} of
     * {@code ip-masq-agent} at path {@code ip-masq-agent}).
     */
    public static final List<MasqAgent> KNOWN = List.of(
            new MasqAgent(
                    "azure-ip-masq-agent (ip-masq-agent-v2)",
                    List.of(
                            new Mount("azure-ip-masq-agent-config", "ip-masq-agent", "ip-masq-agent"),
                            new Mount(
                                    "azure-ip-masq-agent-config-reconciled",
                                    "ip-masq-agent-reconciled",
                                    "ip-masq-agent-reconciled")),
                    Files.IP_MASQ_PREFIX),
            new MasqAgent(
                    "ip-masq-agent-v2",
                    List.of(
                            new Mount("ip-masq-agent-config", "ip-masq-agent", "ip-masq-agent"),
                            new Mount(
                                    "ip-masq-agent-config-reconciled",
                                    "ip-masq-agent-reconciled",
                                    "ip-masq-agent-reconciled")),
                    Files.IP_MASQ_PREFIX),
            new MasqAgent(
                    "ip-masq-agent (upstream or Cilium)",
                    List.of(new Mount("ip-masq-agent", "config", "ip-masq-agent")),
                    Files.IP_MASQ_AGENT_FILE));
}
