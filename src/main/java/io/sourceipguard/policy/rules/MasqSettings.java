package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.cidr.Cidr;
import java.util.List;
import java.util.Set;

/**
 * Which ConfigMaps are ip-masq-agent configs (namespace, names, data keys), which of them the
 * platform writes, what the agent accepts (CIDR limit, IPv6), which destinations must see pod
 * IPs (the protected set) and which must always see the node's IP (the must-masquerade set),
 * and what is known of the pod network ({@code podNetwork} null: read it from the Nodes).
 */
public record MasqSettings(
        String namespace,
        Set<String> names,
        List<String> keyPrefixes,
        Set<String> keyNames,
        List<Cidr> protectedCidrs,
        int cidrLimit,
        boolean ipv6Enabled,
        PodNetwork podNetwork,
        List<Cidr> clusterCidrs,
        List<Cidr> mustMasqueradeCidrs,
        Set<String> platformNames) {

    public MasqSettings {
        names = Set.copyOf(names);
        keyPrefixes = List.copyOf(keyPrefixes);
        keyNames = Set.copyOf(keyNames);
        protectedCidrs = List.copyOf(protectedCidrs);
        clusterCidrs = List.copyOf(clusterCidrs);
        mustMasqueradeCidrs = List.copyOf(mustMasqueradeCidrs);
        platformNames = Set.copyOf(platformNames);
    }

    /** True for ConfigMaps the agent reads. */
    public boolean isMasqConfig(String namespace, String name) {
        return this.namespace.equals(namespace) && names.contains(name);
    }

    /** True for ConfigMaps the platform writes and reconciles: judged, reported, never refused. */
    public boolean isPlatformConfig(String name) {
        return platformNames.contains(name);
    }

    /** True for data keys the agent reads as config files. */
    public boolean isConfigKey(String key) {
        return keyNames.contains(key) || keyPrefixes.stream().anyMatch(key::startsWith);
    }
}
