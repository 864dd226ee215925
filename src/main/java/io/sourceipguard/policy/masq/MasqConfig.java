package io.sourceipguard.policy.masq;

import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One ip-masq-agent config file, as the agents read it. Fields absent from the file are null.
 * Azure's ip-masq-agent-v2 knows the first three; the upstream agent also the last two.
 * Immutable; its CIDR entries are parsed once, on first use, and kept: the parser caches configs by
 * their text, so a config the API server sends again is not parsed again.
 */
public final class MasqConfig {

    /** One entry of nonMasqueradeCIDRs as written: its block, or why the agent would refuse it. */
    public record Entry(String text, Cidr block, String problem) {}

    private final List<String> nonMasqueradeCIDRs;
    private final Boolean masqLinkLocal;
    private final Boolean masqLinkLocalIPv6;
    private final String resyncInterval;
    private final Integer cidrLimit;
    // Derived from the list, so computing it twice in a race gives the same value.
    private volatile List<Entry> entries;
    private volatile List<Cidr> blocks;

    public MasqConfig(
            List<String> nonMasqueradeCIDRs,
            Boolean masqLinkLocal,
            Boolean masqLinkLocalIPv6,
            String resyncInterval,
            Integer cidrLimit) {
        this.nonMasqueradeCIDRs = nonMasqueradeCIDRs == null ? List.of() : List.copyOf(nonMasqueradeCIDRs);
        this.masqLinkLocal = masqLinkLocal;
        this.masqLinkLocalIPv6 = masqLinkLocalIPv6;
        this.resyncInterval = resyncInterval;
        this.cidrLimit = cidrLimit;
    }

    public List<String> nonMasqueradeCIDRs() {
        return nonMasqueradeCIDRs;
    }

    public Boolean masqLinkLocal() {
        return masqLinkLocal;
    }

    public Boolean masqLinkLocalIPv6() {
        return masqLinkLocalIPv6;
    }

    public String resyncInterval() {
        return resyncInterval;
    }

    public Integer cidrLimit() {
        return cidrLimit;
    }

    /** The same config with another CIDR list and link-local setting. */
    public MasqConfig with(List<String> cidrs, Boolean linkLocal) {
        return new MasqConfig(cidrs, linkLocal, masqLinkLocalIPv6, resyncInterval, cidrLimit);
    }

    /** Every entry of nonMasqueradeCIDRs, parsed as the agent parses it. */
    public List<Entry> entries() {
        List<Entry> parsed = entries;
        if (parsed == null) {
            List<Entry> list = new ArrayList<>(nonMasqueradeCIDRs.size());
            for (String text : nonMasqueradeCIDRs) {
                try {
                    list.add(new Entry(text, Cidrs.parse(text), null));
                } catch (InvalidCidrException e) {
                    list.add(new Entry(text, null, e.getMessage()));
                }
            }
            parsed = List.copyOf(list);
            entries = parsed;
        }
        return parsed;
    }

    /** The blocks the agent would apply; entries it would refuse add nothing. */
    public List<Cidr> blocks() {
        List<Cidr> parsed = blocks;
        if (parsed == null) {
            List<Cidr> list = new ArrayList<>(nonMasqueradeCIDRs.size());
            for (Entry entry : entries()) {
                if (entry.block() != null) {
                    list.add(entry.block());
                }
            }
            parsed = List.copyOf(list);
            blocks = parsed;
        }
        return parsed;
    }

    /** The file as the agents read it, every field that was set kept, one CIDR per line. */
    public String toYaml() {
        StringBuilder out = new StringBuilder(32 + 20 * nonMasqueradeCIDRs.size()).append("nonMasqueradeCIDRs:");
        if (nonMasqueradeCIDRs.isEmpty()) {
            out.append(" []");
        }
        for (String cidr : nonMasqueradeCIDRs) {
            out.append("\n  - ");
            scalar(cidr, out);
        }
        if (masqLinkLocal != null) {
            out.append("\nmasqLinkLocal: ").append(masqLinkLocal);
        }
        if (masqLinkLocalIPv6 != null) {
            out.append("\nmasqLinkLocalIPv6: ").append(masqLinkLocalIPv6);
        }
        if (resyncInterval != null) {
            out.append("\nresyncInterval: ");
            scalar(resyncInterval, out);
        }
        if (cidrLimit != null) {
            out.append("\ncidrLimit: ").append(cidrLimit);
        }
        return out.append('\n').toString();
    }

    // A CIDR or duration as written: plain when it has the shape of one (YAML reads that back as the same text),
    // else double-quoted with JSON's escapes, a subset of YAML's. An entry such as '&d00::/8' would otherwise be
    // read as an anchor, 'yes' as a boolean, '12:30' as a number.
    private static void scalar(String text, StringBuilder out) {
        if (isCidrShape(text) || isDurationShape(text)) {
            out.append(text);
            return;
        }
        out.append('"');
        com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(text, out);
        out.append('"');
    }

    // [0-9A-Fa-f][0-9A-Fa-f:.]*/[0-9]{1,3}: written out, since it runs for every entry of every fix.
    static boolean isCidrShape(String text) {
        int slash = text.indexOf('/');
        int digits = text.length() - slash - 1;
        if (slash < 1 || digits < 1 || digits > 3 || !isHex(text.charAt(0))) {
            return false;
        }
        for (int i = 1; i < slash; i++) {
            char c = text.charAt(i);
            if (!isHex(c) && c != ':' && c != '.') {
                return false;
            }
        }
        for (int i = slash + 1; i < text.length(); i++) {
            if (!isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    // ([0-9]+(\.[0-9]*)?(ns|us|ms|s|m|h))+
    static boolean isDurationShape(String text) {
        int i = 0;
        int n = text.length();
        if (n == 0) {
            return false;
        }
        while (i < n) {
            int start = i;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
            }
            if (i == start) {
                return false;
            }
            if (i < n && text.charAt(i) == '.') {
                i++;
                while (i < n && isDigit(text.charAt(i))) {
                    i++;
                }
            }
            if (text.startsWith("ns", i) || text.startsWith("us", i) || text.startsWith("ms", i)) {
                i += 2;
            } else if (i < n && (text.charAt(i) == 's' || text.charAt(i) == 'm' || text.charAt(i) == 'h')) {
                i++;
            } else {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MasqConfig c
                && nonMasqueradeCIDRs.equals(c.nonMasqueradeCIDRs)
                && Objects.equals(masqLinkLocal, c.masqLinkLocal)
                && Objects.equals(masqLinkLocalIPv6, c.masqLinkLocalIPv6)
                && Objects.equals(resyncInterval, c.resyncInterval)
                && Objects.equals(cidrLimit, c.cidrLimit);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nonMasqueradeCIDRs, masqLinkLocal, masqLinkLocalIPv6, resyncInterval, cidrLimit);
    }

    @Override
    public String toString() {
        return "MasqConfig[nonMasqueradeCIDRs=" + nonMasqueradeCIDRs + ", masqLinkLocal=" + masqLinkLocal
                + ", masqLinkLocalIPv6=" + masqLinkLocalIPv6 + ", resyncInterval=" + resyncInterval + ", cidrLimit="
                + cidrLimit + "]";
    }

    /** The field names, exactly as the agents spell them. */
    public static final List<String> FIELDS =
            List.of("nonMasqueradeCIDRs", "masqLinkLocal", "masqLinkLocalIPv6", "resyncInterval", "cidrLimit");
}
