package io.sourceipguard.policy.cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressSeqRange;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The coverage maths checked against its definition on random IPv4 and IPv6 sets: the gaps and
 * the union partition the protected set exactly, and the gaps are the fewest blocks possible.
 */
class CidrsPropertiesTest {

    @Property(tries = 300)
    void ipv4GapsPartitionTheProtectedSet(@ForAll("v4Blocks") @Size(max = 12) List<IPAddress> cover,
            @ForAll("v4Blocks") @Size(min = 1, max = 3) List<IPAddress> protectedSet) {
        checkPartition(protectedSet, cover);
    }

    @Property(tries = 300)
    void ipv6GapsPartitionTheProtectedSet(@ForAll("v6Blocks") @Size(max = 12) List<IPAddress> cover,
            @ForAll("v6Blocks") @Size(min = 1, max = 3) List<IPAddress> protectedSet) {
        checkPartition(protectedSet, cover);
    }

    @Property(tries = 300)
    void unionContainsExactlyTheBlocks(@ForAll("v4Blocks") @Size(max = 12) List<IPAddress> blocks,
            @ForAll("v4Address") IPAddress probe) {
        boolean inSome = blocks.stream().anyMatch(b -> b.contains(probe));
        List<IPAddressSeqRange> union = Cidrs.union(blocks);
        assertEquals(inSome, union.stream().anyMatch(r -> r.contains(probe)));
        for (int i = 1; i < union.size(); i++) {
            // sorted, disjoint and not adjacent: otherwise join would have merged them
            BigInteger previousEnd = union.get(i - 1).getUpper().getValue();
            assertTrue(union.get(i).getLower().getValue().compareTo(previousEnd.add(BigInteger.ONE)) > 0);
        }
    }

    private static void checkPartition(List<IPAddress> protectedSet, List<IPAddress> cover) {
        List<IPAddress> gaps = Cidrs.uncovered(protectedSet, cover);
        BigInteger protectedSize = size(Cidrs.union(protectedSet));
        List<IPAddress> coveredPart = new ArrayList<>();
        for (IPAddressSeqRange p : Cidrs.union(protectedSet)) {
            for (IPAddressSeqRange c : Cidrs.union(cover)) {
                IPAddressSeqRange both = p.intersect(c);
                if (both != null) {
                    coveredPart.addAll(List.of(both.spanWithPrefixBlocks()));
                }
            }
        }
        // gaps are inside the protected set and outside the cover
        for (IPAddress gap : gaps) {
            // inside the protected set (a gap may span two adjacent protected blocks, so: their union)
            assertTrue(Cidrs.union(protectedSet).stream().anyMatch(p -> p.contains(gap.toSequentialRange())),
                    () -> Cidrs.format(gap) + " not protected");
            assertFalse(cover.stream().anyMatch(c -> c.overlaps(gap)), () -> Cidrs.format(gap) + " overlaps the cover");
        }
        // gaps and covered part add up to the whole protected set, without overlap
        BigInteger total = size(Cidrs.union(gaps)).add(size(Cidrs.union(coveredPart)));
        assertEquals(protectedSize, total);
        assertEquals(size(Cidrs.union(gaps)), gaps.stream().map(IPAddress::getCount).reduce(BigInteger.ZERO, BigInteger::add));
        // minimal: no two gap blocks are buddies that would merge into one larger block
        List<IPAddress> merged = gaps.isEmpty() ? List.of() : List.of(gaps.get(0).mergeToPrefixBlocks(gaps.toArray(IPAddress[]::new)));
        assertEquals(merged.size(), gaps.size());
        // sorted
        for (int i = 1; i < gaps.size(); i++) {
            if (gaps.get(i).isIPv4() == gaps.get(i - 1).isIPv4()) {
                assertTrue(gaps.get(i).getValue().compareTo(gaps.get(i - 1).getUpperValue()) > 0);
            }
        }
    }

    private static BigInteger size(List<IPAddressSeqRange> ranges) {
        return ranges.stream().map(IPAddressSeqRange::getCount).reduce(BigInteger.ZERO, BigInteger::add);
    }

    @Provide
    Arbitrary<List<IPAddress>> v4Blocks() {
        return v4Block().list();
    }

    @Provide
    Arbitrary<List<IPAddress>> v6Blocks() {
        return v6Block().list();
    }

    @Provide
    Arbitrary<IPAddress> v4Address() {
        // clustered in 10/8 half the time, so probes land near the generated blocks
        return Arbitraries.oneOf(Arbitraries.integers().between(0, (1 << 24) - 1).map(i -> (10 << 24) | i),
                        Arbitraries.integers())
                .map(i -> (IPAddress) new IPv4Address(i));
    }

    private static Arbitrary<IPAddress> v4Block() {
        Arbitrary<Integer> bits = Arbitraries.oneOf(Arbitraries.integers().between(0, (1 << 24) - 1).map(i -> (10 << 24) | i),
                Arbitraries.integers());
        return Combinators.combine(bits, Arbitraries.integers().between(0, 32))
                .as((b, prefix) -> new IPv4Address(b, prefix).toPrefixBlock());
    }

    private static Arbitrary<IPAddress> v6Block() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofSize(16)
                .map(b -> {
                    b[0] = (byte) 0xfd; // cluster in fd00::/8 half the time through the prefix choice below
                    return b;
                });
        return Combinators.combine(bytes, Arbitraries.integers().between(0, 128), Arbitraries.of(true, false))
                .as((b, prefix, clustered) -> {
                    if (!clustered) {
                        b[0] = (byte) (b[1] ^ 0x20);
                    }
                    return new IPv6Address(b, prefix).toPrefixBlock();
                });
    }
}
