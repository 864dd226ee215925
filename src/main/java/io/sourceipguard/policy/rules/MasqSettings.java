package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.cidr.Cidr;
import java.util.List;
import java.util.Set;

/**
 * Which ConfigMaps are ip-masq-agent configs (namespace, names, data keys), what the agent
 * accepts (CIDR limit, IPv6), and which destinations must see pod IPs (the protected set).
 */
public record MasqSettings(
        String namespace,
        Set<String> names,
        List<String> keyPrefixes,
        Set<String> keyNames,
        List<Cidr> protectedCidrs,
        int cidrLimit,
        boolean ipv6Enabled) {

    public MasqSettings {
        names = Set.copyOf(names);
        keyPrefixes = List.copyOf(keyPrefixes);
        keyNames = Set.copyOf(keyNames);
        protectedCidrs = List.copyOf(protectedCidrs);
    }

    /** True for ConfigMaps the agent reads. */
    public boolean isMasqConfig(String namespace, String name) {
        return this.namespace.equals(namespace) && names.contains(name);
    }

    /** True for data keys the agent reads as config files. */
    public boolean isConfigKey(String key) {
        return keyNames.contains(key) || keyPrefixes.stream().anyMatch(key::startsWith);
    }
}
