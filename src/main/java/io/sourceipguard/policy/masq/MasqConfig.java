package io.sourceipguard.policy.masq;

import java.util.List;

/**
 * One ip-masq-agent config file, as the agents read it. Fields absent from the file are null.
 * Azure's ip-masq-agent-v2 knows the first three; the upstream agent also the last two.
 */
public record MasqConfig(
        List<String> nonMasqueradeCIDRs,
        Boolean masqLinkLocal,
        Boolean masqLinkLocalIPv6,
        String resyncInterval,
        Integer cidrLimit) {

    public MasqConfig {
        nonMasqueradeCIDRs = nonMasqueradeCIDRs == null ? List.of() : List.copyOf(nonMasqueradeCIDRs);
    }

    /** The field names, exactly as the agents spell them. */
    public static final List<String> FIELDS = List.of(
            "nonMasqueradeCIDRs", "masqLinkLocal", "masqLinkLocalIPv6", "resyncInterval", "cidrLimit");
}
