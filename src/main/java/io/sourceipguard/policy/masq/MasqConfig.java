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
            out.append("\n  - ").append(scalar(cidr));
        }
        if (masqLinkLocal != null) {
            out.append("\nmasqLinkLocal: ").append(masqLinkLocal);
        }
        if (masqLinkLocalIPv6 != null) {
            out.append("\nmasqLinkLocalIPv6: ").append(masqLinkLocalIPv6);
        }
        if (resyncInterval != null) {
            out.append("\nresyncInterval: ").append(scalar(resyncInterval));
        }
        if (cidrLimit != null) {
            out.append("\ncidrLimit: ").append(cidrLimit);
        }
        return out.append('\n').toString();
    }

    // A CIDR or duration as written: plain when it has the shape of one (YAML reads that back as the same text),
    // else double-quoted with JSON's escapes, a subset of YAML's. An entry such as '&d00::/8' would otherwise be
    // read as an anchor, 'yes' as a boolean, '12:30' as a number.
    private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile(
            "[0-9A-Fa-f][0-9A-Fa-f:.]*/[0-9]{1,3}|([0-9]+(\\.[0-9]*)?(ns|us|ms|s|m|h))+");

    private static String scalar(String text) {
        if (PLAIN.matcher(text).matches()) {
            return text;
        }
        return "\""
                + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                        .quoteAsString(text)) + "\"";
    }

    /** The field names, exactly as the agents spell them. */
    public static final List<String> FIELDS =
            List.of("nonMasqueradeCIDRs", "masqLinkLocal", "masqLinkLocalIPv6", "resyncInterval", "cidrLimit");
}
