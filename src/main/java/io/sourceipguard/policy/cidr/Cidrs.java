package io.sourceipguard.policy.cidr;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressSeqRange;
import inet.ipaddr.IPAddressString;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * CIDR parsing and set maths on top of the IPAddress library: the union of a list of blocks,
 * and the minimal list of blocks that a protected set still has outside that union.
 */
public final class Cidrs {

    // The agents parse with Go's net.ParseCIDR: dotted quad or IPv6 text, always with a prefix.
    // The library alone is more liberal (ranges, wildcards, inet_aton forms), so shape first.
    private static final Pattern IPV4 = Pattern.compile("(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
            + "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)/(?:3[0-2]|[12]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("(?=[^/]*:)[0-9A-Fa-f:.]{2,45}/(?:12[0-8]|1[01]\\d|[1-9]?\\d)");

    private static final Comparator<IPAddressSeqRange> BY_LOWER = Comparator.comparing(r -> r.getLower().getValue());

    private Cidrs() {
    }

    /**
     * Parses one CIDR as the ip-masq-agent does: a network address with a prefix length and no
     * host bits set ({@code 10.0.0.1/8} is refused, with {@code 10.0.0.0/8} suggested).
     */
    public static IPAddress parse(String text) throws InvalidCidrException {
        if (text == null || text.isBlank()) {
            throw new InvalidCidrException("empty CIDR entry; remove it or write a block such as 10.0.0.0/8");
        }
        String trimmed = text.strip();
        if (!IPV4.matcher(trimmed).matches() && !IPV6.matcher(trimmed).matches()) {
            throw new InvalidCidrException("'" + text + "' is not a CIDR; write an address and a prefix length, such as 10.0.0.0/8");
        }
        IPAddress address;
        try {
            address = new IPAddressString(trimmed).toAddress();
        } catch (AddressStringException | RuntimeException e) {
            throw new InvalidCidrException("'" + text + "' is not a CIDR; write an address and a prefix length, such as 10.0.0.0/8");
        }
        Integer prefix = address.getNetworkPrefixLength();
        IPAddress network = address.toPrefixBlock().getLower().withoutPrefixLength();
        if (prefix == null || !network.equals(address.getLower().withoutPrefixLength())) {
            throw new InvalidCidrException("'" + text + "' has host bits set; the agent refuses it. Did you mean "
                    + network.toCanonicalString() + "/" + prefix + "?");
        }
        return address.toPrefixBlock();
    }

    /** Canonical text of a block, as a person writes it: {@code 10.0.0.0/8}, {@code fd00::/8}. */
    public static String format(IPAddress block) {
        IPAddress lower = block.getLower().withoutPrefixLength();
        Integer prefix = block.getNetworkPrefixLength();
        int bits = prefix == null ? lower.getBitCount() : prefix;
        return lower.toCompressedString() + "/" + bits;
    }

    /** The union of blocks as sorted, disjoint, non-adjacent ranges (one family per call is not required). */
    public static List<IPAddressSeqRange> union(Collection<IPAddress> blocks) {
        List<IPAddressSeqRange> v4 = new ArrayList<>();
        List<IPAddressSeqRange> v6 = new ArrayList<>();
        for (IPAddress block : blocks) {
            (block.isIPv4() ? v4 : v6).add(block.toSequentialRange());
        }
        List<IPAddressSeqRange> joined = new ArrayList<>();
        joined.addAll(join(v4));
        joined.addAll(join(v6));
        return joined;
    }

    private static List<IPAddressSeqRange> join(List<IPAddressSeqRange> ranges) {
        if (ranges.isEmpty()) {
            return List.of();
        }
        List<IPAddressSeqRange> joined = new ArrayList<>(Arrays.asList(
                IPAddressSeqRange.join(ranges.toArray(IPAddressSeqRange[]::new))));
        joined.sort(BY_LOWER);
        return joined;
    }

    /**
     * The parts of {@code protectedBlocks} that no block of {@code cover} contains, as the
     * minimal sorted list of CIDR blocks (IPv4 first). Empty means fully covered.
     */
    public static List<IPAddress> uncovered(Collection<IPAddress> protectedBlocks, Collection<IPAddress> cover) {
        List<IPAddressSeqRange> covered = union(cover);
        List<IPAddress> gaps = new ArrayList<>();
        for (IPAddressSeqRange target : union(protectedBlocks)) {
            for (IPAddressSeqRange gap : gaps(target, covered)) {
                gaps.addAll(Arrays.asList(gap.spanWithPrefixBlocks()));
            }
        }
        return gaps;
    }

    // One sweep over the sorted union: the holes it leaves inside the target range.
    private static List<IPAddressSeqRange> gaps(IPAddressSeqRange target, List<IPAddressSeqRange> covered) {
        List<IPAddressSeqRange> gaps = new ArrayList<>();
        IPAddress cursor = target.getLower();
        BigInteger end = target.getUpper().getValue();
        for (IPAddressSeqRange range : covered) {
            if (range.getLower().isIPv4() != target.getLower().isIPv4()) {
                continue;
            }
            BigInteger lower = range.getLower().getValue();
            BigInteger upper = range.getUpper().getValue();
            if (upper.compareTo(cursor.getValue()) < 0) {
                continue;
            }
            if (lower.compareTo(end) > 0) {
                break;
            }
            if (lower.compareTo(cursor.getValue()) > 0) {
                gaps.add(cursor.spanWithRange(range.getLower().increment(-1)));
            }
            if (upper.compareTo(end) >= 0) {
                return gaps;
            }
            cursor = range.getUpper().increment(1);
        }
        gaps.add(cursor.spanWithRange(target.getUpper()));
        return gaps;
    }
}
