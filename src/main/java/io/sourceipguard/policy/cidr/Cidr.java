package io.sourceipguard.policy.cidr;

import inet.ipaddr.ipv6.IPv6Address;
import java.nio.ByteBuffer;

/**
 * One CIDR block: its network address as an unsigned 128-bit number ({@code hi}, {@code lo};
 * an IPv4 address is the low 32 bits) and its prefix length. Plain numbers, so the coverage
 * maths allocates no address objects.
 */
public record Cidr(boolean ipv6, long hi, long lo, int prefix) {

    /** Address width of the family: 32 or 128. */
    public int bits() {
        return ipv6 ? 128 : 32;
    }

    /** Canonical text, as a person writes it: {@code 10.0.0.0/8}, {@code fd00::/8}. */
    @Override
    public String toString() {
        return appendTo(new StringBuilder(ipv6 ? 43 : 18)).toString();
    }

    /** Appends the canonical text to {@code out}: lists of blocks are written without a string per block. */
    public StringBuilder appendTo(StringBuilder out) {
        if (!ipv6) {
            return out.append(lo >>> 24)
                    .append('.')
                    .append((lo >>> 16) & 0xff)
                    .append('.')
                    .append((lo >>> 8) & 0xff)
                    .append('.')
                    .append(lo & 0xff)
                    .append('/')
                    .append(prefix);
        }
        byte[] bytes = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        return out.append(new IPv6Address(bytes).toCompressedString())
                .append('/')
                .append(prefix);
    }
}
