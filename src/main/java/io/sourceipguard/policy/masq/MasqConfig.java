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

    /** The same config with another CIDR list and link-local setting. */
    public MasqConfig with(List<String> cidrs, Boolean linkLocal) {
        return new MasqConfig(cidrs, linkLocal, masqLinkLocalIPv6, resyncInterval, cidrLimit);
    }

    /** The file as the agents read it, every field that was set kept, one CIDR per line. */
    public String toYaml() {
        StringBuilder out = new StringBuilder("nonMasqueradeCIDRs:");
        if (nonMasqueradeCIDRs.isEmpty()) {
            out.append(" []");
        }
        for (String cidr : nonMasqueradeCIDRs) {
            out.append("\n  - ").append(cidr);
        }
        if (masqLinkLocal != null) {
            out.append("\nmasqLinkLocal: ").append(masqLinkLocal);
        }
        if (masqLinkLocalIPv6 != null) {
            out.append("\nmasqLinkLocalIPv6: ").append(masqLinkLocalIPv6);
        }
        if (resyncInterval != null) {
            out.append("\nresyncInterval: ").append(resyncInterval);
        }
        if (cidrLimit != null) {
            out.append("\ncidrLimit: ").append(cidrLimit);
        }
        return out.append('\n').toString();
    }

    /** The field names, exactly as the agents spell them. */
    public static final List<String> FIELDS = List.of(
            "nonMasqueradeCIDRs", "masqLinkLocal", "masqLinkLocalIPv6", "resyncInterval", "cidrLimit");
}
