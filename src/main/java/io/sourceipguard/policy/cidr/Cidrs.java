package io.sourceipguard.policy.cidr;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * CIDR parsing and set maths: the union of a list of blocks, and the minimal list of blocks
 * that a protected set still has outside that union. The sweep works on 128-bit numbers held
 * in two longs ({@link U128}); it runs on every denied ip-masq-agent config, so it allocates
 * nothing per address.
 */
public final class Cidrs {

    // The agents parse with Go's net.ParseCIDR: dotted quad or IPv6 text, always with a prefix.
    // The IPAddress library alone is more liberal (ranges, wildcards, inet_aton forms), so shape first.
    private static final Pattern IPV6 = Pattern.compile("(?=[^/]*:)[0-9A-Fa-f:.]{2,45}/(?:12[0-8]|1[01]\\d|[1-9]?\\d)");

    /** An inclusive range of addresses of one family. */
    record Range(boolean ipv6, long startHi, long startLo, long endHi, long endLo) {

        static Range of(Cidr block) {
            int host = block.bits() - block.prefix();
            return new Range(
                    block.ipv6(),
                    block.hi(),
                    block.lo(),
                    block.hi() | U128.maskHi(host),
                    block.lo() | U128.maskLo(host));
        }

        /** True when {@code other} starts right after this range ends or inside it. */
        boolean touches(Range other) {
            if (U128.compare(other.startHi, other.startLo, endHi, endLo) <= 0) {
                return true;
            }
            // other.start == end + 1, written without overflow at the top of the space
            long nextLo = endLo + 1;
            long nextHi = nextLo == 0 ? endHi + 1 : endHi;
            return !(endHi == -1L && endLo == -1L) && nextHi == other.startHi && nextLo == other.startLo;
        }
    }

    private static final Comparator<Range> BY_START =
            (a, b) -> a.ipv6 != b.ipv6 ? (a.ipv6 ? 1 : -1) : U128.compare(a.startHi, a.startLo, b.startHi, b.startLo);

    private Cidrs() {}

    /**
     * Parses one CIDR as the ip-masq-agent does: a network address with a prefix length and no
     * host bits set ({@code 10.0.0.1/8} is refused, with {@code 10.0.0.0/8} suggested).
     */
    public static Cidr parse(String text) throws InvalidCidrException {
        if (text == null || text.isBlank()) {
            throw new InvalidCidrException("empty CIDR entry; remove it or write a block such as 10.0.0.0/8");
        }
        String trimmed = text.strip();
        Cidr address = trimmed.indexOf(':') < 0 ? parseIPv4(trimmed) : parseIPv6(trimmed);
        if (address == null) {
            throw new InvalidCidrException(
                    "'" + text + "' is not a CIDR; write an address and a prefix length, such as 10.0.0.0/8");
        }
        int host = address.bits() - address.prefix();
        Cidr network = new Cidr(
                address.ipv6(),
                U128.networkHi(address.hi(), host),
                U128.networkLo(address.lo(), host),
                address.prefix());
        if (!network.equals(address)) {
            throw new InvalidCidrException(
                    "'" + text + "' has host bits set; the agent refuses it. Did you mean " + network + "?");
        }
        return network;
    }

    // Dotted quad without leading zeros, then a prefix of 0-32 without leading zeros.
    private static Cidr parseIPv4(String text) {
        long value = 0;
        int i = 0;
        int n = text.length();
        for (int octet = 0; octet < 4; octet++) {
            int start = i;
            int number = 0;
            while (i < n && i - start < 3 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                number = number * 10 + (text.charAt(i) - '0');
                i++;
            }
            char separator = octet < 3 ? '.' : '/';
            if (i == start
                    || number > 255
                    || (text.charAt(start) == '0' && i - start > 1)
                    || i >= n
                    || text.charAt(i) != separator) {
                return null;
            }
            value = (value << 8) | number;
            i++;
        }
        int prefix = decimal(text, i, 32);
        return prefix < 0 ? null : new Cidr(false, 0, value, prefix);
    }

    // A decimal 0..max from position i to the end, without leading zeros; -1 if not one.
    private static int decimal(String text, int i, int max) {
        int n = text.length();
        if (i >= n || n - i > 3 || (text.charAt(i) == '0' && n - i > 1)) {
            return -1;
        }
        int number = 0;
        for (int j = i; j < n; j++) {
            char c = text.charAt(j);
            if (c < '0' || c > '9') {
                return -1;
            }
            number = number * 10 + (c - '0');
        }
        return number <= max ? number : -1;
    }

    private static Cidr parseIPv6(String text) {
        if (!IPV6.matcher(text).matches()) {
            return null;
        }
        IPAddress address;
        try {
            address = new IPAddressString(text).toAddress();
        } catch (AddressStringException | RuntimeException e) {
            return null;
        }
        Integer prefix = address.getNetworkPrefixLength();
        if (!address.isIPv6() || prefix == null) {
            return null;
        }
        // the lowest address of what the text names: the address as written, prefix aside
        byte[] bytes = address.getLower().withoutPrefixLength().getBytes();
        long hi = 0;
        long lo = 0;
        for (int b = 0; b < 8; b++) {
            hi = (hi << 8) | (bytes[b] & 0xff);
            lo = (lo << 8) | (bytes[b + 8] & 0xff);
        }
        return new Cidr(true, hi, lo, prefix);
    }

    /** The union of blocks as sorted, disjoint, non-adjacent ranges, IPv4 first. */
    static List<Range> union(Collection<Cidr> blocks) {
        List<Range> ranges = new ArrayList<>(blocks.size());
        for (Cidr block : blocks) {
            ranges.add(Range.of(block));
        }
        ranges.sort(BY_START);
        List<Range> joined = new ArrayList<>();
        Range current = null;
        for (Range next : ranges) {
            if (current != null && current.ipv6 == next.ipv6 && current.touches(next)) {
                if (U128.compare(next.endHi, next.endLo, current.endHi, current.endLo) > 0) {
                    current = new Range(current.ipv6, current.startHi, current.startLo, next.endHi, next.endLo);
                }
            } else {
                if (current != null) {
                    joined.add(current);
                }
                current = next;
            }
        }
        if (current != null) {
            joined.add(current);
        }
        return joined;
    }

    /**
     * The parts of {@code protectedBlocks} that no block of {@code cover} contains, as the
     * minimal sorted list of CIDR blocks (IPv4 first). Empty means fully covered.
     */
    public static List<Cidr> uncovered(Collection<Cidr> protectedBlocks, Collection<Cidr> cover) {
        List<Cidr> gaps = new ArrayList<>();
        for (Range hole : holes(union(protectedBlocks), union(cover))) {
            split(hole.ipv6, hole.startHi, hole.startLo, hole.endHi, hole.endLo, gaps);
        }
        return gaps;
    }

    /**
     * The fewest CIDR blocks that together contain every address of {@code must} outside
     * {@code forbidden} and no address of {@code forbidden}. Each block is the largest prefix
     * holding no forbidden address, so a block may also cover addresses of neither set; that is
     * what makes the list short (all of IPv4 but two /32s is 62 blocks, not millions).
     */
    public static List<Cidr> shortestCover(Collection<Cidr> must, Collection<Cidr> forbidden) {
        List<Range> avoid = union(forbidden);
        List<Range> need = holes(union(must), avoid);
        List<Cidr> out = new ArrayList<>();
        for (boolean ipv6 : new boolean[] {false, true}) {
            if (need.stream().anyMatch(r -> r.ipv6 == ipv6)) {
                cover(new Cidr(ipv6, 0, 0, 0), need, avoid, out);
            }
        }
        return out;
    }

    // The maximal forbidden-free prefixes partition the allowed space; any valid cover needs at
    // least one block in each of them that holds needed addresses, and one is enough.
    private static void cover(Cidr block, List<Range> need, List<Range> avoid, List<Cidr> out) {
        Range range = Range.of(block);
        if (!intersects(range, need)) {
            return;
        }
        if (!intersects(range, avoid)) {
            out.add(block);
            return;
        }
        int prefix = block.prefix() + 1;
        int bit = block.bits() - prefix;
        cover(new Cidr(block.ipv6(), block.hi(), block.lo(), prefix), need, avoid, out);
        cover(
                new Cidr(
                        block.ipv6(),
                        block.hi() | (bit >= 64 ? 1L << (bit - 64) : 0),
                        block.lo() | (bit < 64 ? 1L << bit : 0),
                        prefix),
                need,
                avoid,
                out);
    }

    private static boolean intersects(Range range, List<Range> ranges) {
        for (Range r : ranges) {
            if (r.ipv6 == range.ipv6
                    && U128.compare(r.startHi, r.startLo, range.endHi, range.endLo) <= 0
                    && U128.compare(r.endHi, r.endLo, range.startHi, range.startLo) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** True when some address of {@code block} is in one of {@code blocks}. */
    public static boolean overlaps(Cidr block, Collection<Cidr> blocks) {
        return intersects(Range.of(block), union(blocks));
    }

    /** The {@code candidates} that share an address with one of {@code blocks}, in their order. */
    public static List<Cidr> overlapping(Collection<Cidr> candidates, Collection<Cidr> blocks) {
        List<Range> ranges = union(blocks);
        List<Cidr> out = new ArrayList<>(candidates.size());
        for (Cidr candidate : candidates) {
            if (intersects(Range.of(candidate), ranges)) {
                out.add(candidate);
            }
        }
        return out;
    }

    // The parts of the targets outside the covered ranges, both sorted unions: sorted and disjoint.
    private static List<Range> holes(List<Range> targets, List<Range> covered) {
        List<Range> holes = new ArrayList<>();
        for (Range target : targets) {
            sweep(target, covered, holes);
        }
        return holes;
    }

    // One pass over the sorted union: each hole inside the target.
    private static void sweep(Range target, List<Range> covered, List<Range> holes) {
        long cursorHi = target.startHi;
        long cursorLo = target.startLo;
        for (Range range : covered) {
            if (range.ipv6 != target.ipv6 || U128.compare(range.endHi, range.endLo, cursorHi, cursorLo) < 0) {
                continue;
            }
            if (U128.compare(range.startHi, range.startLo, target.endHi, target.endLo) > 0) {
                break;
            }
            if (U128.compare(range.startHi, range.startLo, cursorHi, cursorLo) > 0) {
                // the hole ends just before the range starts; start > cursor ≥ 0, so no borrow past zero
                long endLo = range.startLo - 1;
                long endHi = range.startLo == 0 ? range.startHi - 1 : range.startHi;
                holes.add(new Range(target.ipv6, cursorHi, cursorLo, endHi, endLo));
            }
            if (U128.compare(range.endHi, range.endLo, target.endHi, target.endLo) >= 0) {
                return;
            }
            // range.end < target.end, so end + 1 stays inside the space
            cursorLo = range.endLo + 1;
            cursorHi = cursorLo == 0 ? range.endHi + 1 : range.endHi;
        }
        holes.add(new Range(target.ipv6, cursorHi, cursorLo, target.endHi, target.endLo));
    }

    // The fewest prefix blocks that exactly cover [start, end]: at each step the largest block
    // aligned at start that does not pass end.
    private static void split(boolean ipv6, long startHi, long startLo, long endHi, long endLo, List<Cidr> out) {
        int bits = ipv6 ? 128 : 32;
        long hi = startHi;
        long lo = startLo;
        while (true) {
            long lengthLo = endLo - lo;
            long lengthHi = endHi - hi - (Long.compareUnsigned(endLo, lo) < 0 ? 1 : 0);
            int length = U128.bitLength(lengthHi, lengthLo);
            boolean allOnes = lengthHi == U128.maskHi(length) && lengthLo == U128.maskLo(length);
            int bySize = allOnes ? length : length - 1;
            int host = Math.min(Math.min(U128.trailingZeros(hi, lo), bits), bySize);
            out.add(new Cidr(ipv6, hi, lo, bits - host));
            long lastHi = hi | U128.maskHi(host);
            long lastLo = lo | U128.maskLo(host);
            if (lastHi == endHi && lastLo == endLo) {
                return;
            }
            lo = lastLo + 1;
            hi = lo == 0 ? lastHi + 1 : lastHi;
        }
    }
}
