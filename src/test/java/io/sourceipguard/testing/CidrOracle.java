package io.sourceipguard.testing;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressSeqRange;
import inet.ipaddr.ipv4.IPv4Address;
import io.sourceipguard.policy.cidr.Cidr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The uncovered-blocks computation written the slow, obvious way with the IPAddress library's
 * own range subtraction and prefix-block spanning: the reference the fast sweep is compared to.
 */
public final class CidrOracle {

    private CidrOracle() {}

    /** The minimal prefix blocks of {@code protectedSet} outside {@code cover}, IPv4 first, as text. */
    public static List<String> uncovered(List<IPAddress> protectedSet, List<IPAddress> cover) {
        List<String> out = new ArrayList<>();
        for (boolean ipv4 : new boolean[] {true, false}) {
            List<IPAddressSeqRange> covered = join(cover, ipv4);
            for (IPAddressSeqRange target : join(protectedSet, ipv4)) {
                List<IPAddressSeqRange> rest = List.of(target);
                for (IPAddressSeqRange c : covered) {
                    rest = rest.stream()
                            .flatMap(r -> Arrays.stream(r.subtract(c)))
                            .toList();
                }
                rest.stream()
                        .sorted(Comparator.comparing(r -> r.getLower().getValue()))
                        .flatMap(r -> Arrays.stream(r.spanWithPrefixBlocks()))
                        .forEach(block -> out.add(text(block)));
            }
        }
        return out;
    }

    private static List<IPAddressSeqRange> join(List<IPAddress> blocks, boolean ipv4) {
        IPAddressSeqRange[] ranges = blocks.stream()
                .filter(b -> b.isIPv4() == ipv4)
                .map(IPAddress::toSequentialRange)
                .toArray(IPAddressSeqRange[]::new);
        List<IPAddressSeqRange> joined = new ArrayList<>(Arrays.asList(IPAddressSeqRange.join(ranges)));
        joined.sort(Comparator.comparing(r -> r.getLower().getValue()));
        return joined;
    }

    /** A block's text as {@link Cidr#toString()} writes it. */
    public static String text(IPAddress block) {
        IPAddress lower = block.getLower().withoutPrefixLength();
        Integer prefix = block.getNetworkPrefixLength();
        return lower.toCompressedString() + "/" + (prefix == null ? lower.getBitCount() : prefix);
    }

    /** The IPv4 prefix block holding {@code address}, for generated inputs. */
    public static IPAddress ipv4Block(int address, int prefix) {
        return new IPv4Address(address, prefix).toPrefixBlock();
    }

    /** The same block in the production type. */
    public static Cidr cidr(IPAddress block) {
        return TestPolicies.cidr(text(block));
    }
}
