package io.sourceipguard.policy.cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import io.sourceipguard.testing.CidrOracle;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The fast coverage sweep against the IPAddress library's own range subtraction and prefix-block
 * spanning ({@link CidrOracle}) on random IPv4, IPv6 and mixed sets, including the edges of both
 * address spaces: the same blocks, in the same order.
 */
class CidrsPropertiesTest {

    @Property(tries = 500)
    void ipv4GapsAreTheOracles(
            @ForAll("v4Blocks") @Size(max = 12) List<IPAddress> cover,
            @ForAll("v4Blocks") @Size(min = 1, max = 3) List<IPAddress> protectedSet) {
        assertSameAsOracle(protectedSet, cover);
    }

    @Property(tries = 500)
    void ipv6GapsAreTheOracles(
            @ForAll("v6Blocks") @Size(max = 12) List<IPAddress> cover,
            @ForAll("v6Blocks") @Size(min = 1, max = 3) List<IPAddress> protectedSet) {
        assertSameAsOracle(protectedSet, cover);
    }

    @Property(tries = 200)
    void mixedFamiliesAreJudgedApart(
            @ForAll("v4Blocks") @Size(max = 6) List<IPAddress> cover4,
            @ForAll("v6Blocks") @Size(max = 6) List<IPAddress> cover6,
            @ForAll("v4Blocks") @Size(min = 1, max = 2) List<IPAddress> protected4,
            @ForAll("v6Blocks") @Size(min = 1, max = 2) List<IPAddress> protected6) {
        List<IPAddress> cover = new java.util.ArrayList<>(cover6);
        cover.addAll(cover4);
        List<IPAddress> protectedSet = new java.util.ArrayList<>(protected6);
        protectedSet.addAll(protected4);
        assertSameAsOracle(protectedSet, cover);
    }

    // The shortest complete fix, held against the library: it contains every address of must
    // outside forbidden and no forbidden address, and no list can be shorter than the number of
    // maximal forbidden-free prefix blocks that hold needed addresses.
    @Property(tries = 500)
    void shortestCoverCoversWhatItMustAndNothingItMustNot(
            @ForAll("v4Blocks") @Size(min = 1, max = 6) List<IPAddress> must,
            @ForAll("v4Blocks") @Size(max = 4) List<IPAddress> forbidden,
            @ForAll("v4Address") IPAddress probe) {
        List<Cidr> cover = Cidrs.shortestCover(cidrs(must), cidrs(forbidden));
        List<IPAddress> blocks = cover.stream()
                .map(c -> new inet.ipaddr.IPAddressString(c.toString()).getAddress())
                .toList();
        // must − forbidden ⊆ cover, by the library's own subtraction
        List<IPAddress> cover2 = new java.util.ArrayList<>(blocks);
        cover2.addAll(forbidden);
        assertEquals(List.of(), CidrOracle.uncovered(must, cover2));
        // cover ∩ forbidden = ∅
        for (IPAddress f : forbidden) {
            for (IPAddress b : blocks) {
                assertTrue(!b.overlaps(f), b + " overlaps forbidden " + f);
            }
        }
        // a probe in must and not forbidden is covered; a forbidden probe never is
        boolean needed = must.stream().anyMatch(b -> b.contains(probe))
                && forbidden.stream().noneMatch(b -> b.contains(probe));
        boolean covered = blocks.stream().anyMatch(b -> b.contains(probe));
        if (needed) {
            assertTrue(covered, probe + " is needed");
        }
        if (forbidden.stream().anyMatch(b -> b.contains(probe))) {
            assertTrue(!covered, probe + " is forbidden");
        }
        // minimal: each block is a maximal forbidden-free prefix (its parent holds a forbidden
        // address), and those partition the allowed space, so none can be merged or dropped
        for (IPAddress b : blocks) {
            int prefix = b.getNetworkPrefixLength();
            assertTrue(must.stream().anyMatch(b::overlaps), "useless block " + b);
            if (prefix == 0) {
                assertTrue(forbidden.isEmpty(), "0.0.0.0/0 only when nothing is forbidden: " + forbidden);
                continue;
            }
            IPAddress parent = CidrOracle.ipv4Block(b.getLower().getValue().intValue(), prefix - 1);
            assertTrue(forbidden.stream().anyMatch(parent::overlaps), "could grow: " + b);
        }
        assertTrue(blocks.size() <= CidrOracle.uncovered(must, forbidden).size(), "never longer than the exact set");
    }

    @Property(tries = 200)
    void everythingButTwoAddressesTakesAtMost62Blocks(
            @ForAll("v4Address") IPAddress a, @ForAll("v4Address") IPAddress b) {
        List<Cidr> cover = Cidrs.shortestCover(
                cidrs(List.of(CidrOracle.ipv4Block(0, 0))), cidrs(List.of(a.toPrefixBlock(32), b.toPrefixBlock(32))));
        // removing one address leaves 32 blocks; a second one splits up to 31 more, minus what they share
        assertTrue(cover.size() <= 62, cover.size() + " blocks");
        assertEquals(
                List.of(),
                CidrOracle.uncovered(
                        List.of(CidrOracle.ipv4Block(0, 0)),
                        cidrsBack(cover, a.toPrefixBlock(32), b.toPrefixBlock(32))));
    }

    private static List<IPAddress> cidrsBack(List<Cidr> cover, IPAddress... plus) {
        List<IPAddress> out = new java.util.ArrayList<>();
        cover.forEach(c -> out.add(new inet.ipaddr.IPAddressString(c.toString()).getAddress()));
        out.addAll(List.of(plus));
        return out;
    }

    @Property(tries = 300)
    void unionContainsExactlyTheBlocks(
            @ForAll("v4Blocks") @Size(max = 12) List<IPAddress> blocks, @ForAll("v4Address") IPAddress probe) {
        boolean inSome = blocks.stream().anyMatch(b -> b.contains(probe));
        List<Cidrs.Range> union = Cidrs.union(cidrs(blocks));
        long p = probe.getValue().longValue();
        assertEquals(inSome, union.stream().anyMatch(r -> r.startLo() <= p && p <= r.endLo()));
        for (int i = 1; i < union.size(); i++) {
            // sorted, disjoint and not adjacent: otherwise the union would have merged them
            assertTrue(union.get(i).startLo() > union.get(i - 1).endLo() + 1);
        }
    }

    private static void assertSameAsOracle(List<IPAddress> protectedSet, List<IPAddress> cover) {
        List<String> fast = Cidrs.uncovered(cidrs(protectedSet), cidrs(cover)).stream()
                .map(Cidr::toString)
                .toList();
        assertEquals(CidrOracle.uncovered(protectedSet, cover), fast);
    }

    private static List<Cidr> cidrs(List<IPAddress> blocks) {
        return blocks.stream().map(CidrOracle::cidr).toList();
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
        return v4Bits().map(i -> (IPAddress) new IPv4Address(i));
    }

    // clustered in 10/8 or at the top and bottom of the space, so blocks meet and touch the edges
    private static Arbitrary<Integer> v4Bits() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, (1 << 24) - 1).map(i -> (10 << 24) | i),
                Arbitraries.integers().between(0, 4096),
                Arbitraries.integers().between(-4096, -1),
                Arbitraries.integers());
    }

    private static Arbitrary<IPAddress> v4Block() {
        return Combinators.combine(v4Bits(), Arbitraries.integers().between(0, 32))
                .as(CidrOracle::ipv4Block);
    }

    private static Arbitrary<IPAddress> v6Block() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofSize(16);
        return Combinators.combine(bytes, Arbitraries.integers().between(0, 128), Arbitraries.of(0, 1, 2, 3))
                .as((b, prefix, where) -> {
                    switch (where) {
                        case 0 -> b[0] = (byte) 0xfd; // clustered in fd00::/8
                        case 1 -> java.util.Arrays.fill(b, 0, 14, (byte) 0); // near ::
                        case 2 -> java.util.Arrays.fill(b, 0, 14, (byte) 0xff); // near the top
                        default -> {} // anywhere
                    }
                    return new IPv6Address(b, prefix).toPrefixBlock();
                });
    }
}
