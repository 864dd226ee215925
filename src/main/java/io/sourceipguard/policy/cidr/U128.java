package io.sourceipguard.policy.cidr;

/**
 * Unsigned 128-bit arithmetic on a pair of longs ({@code hi}, {@code lo}), just what the
 * coverage sweep needs. Every method is exact at both ends of the address space.
 */
final class U128 {

    private U128() {}

    static int compare(long aHi, long aLo, long bHi, long bLo) {
        int byHi = Long.compareUnsigned(aHi, bHi);
        return byHi != 0 ? byHi : Long.compareUnsigned(aLo, bLo);
    }

    /** The high half of a mask of the lowest {@code k} bits (0 ≤ k ≤ 128). */
    static long maskHi(int k) {
        return k <= 64 ? 0 : k == 128 ? -1L : (1L << (k - 64)) - 1;
    }

    /** The low half of a mask of the lowest {@code k} bits (0 ≤ k ≤ 128). */
    static long maskLo(int k) {
        return k >= 64 ? -1L : (1L << k) - 1;
    }

    /** The network part, with the lowest {@code hostBits} bits cleared. */
    static long networkHi(long hi, int hostBits) {
        return hi & ~maskHi(hostBits);
    }

    static long networkLo(long lo, int hostBits) {
        return lo & ~maskLo(hostBits);
    }

    /** Number of trailing zero bits; 128 for zero. */
    static int trailingZeros(long hi, long lo) {
        return lo != 0 ? Long.numberOfTrailingZeros(lo) : hi != 0 ? 64 + Long.numberOfTrailingZeros(hi) : 128;
    }

    /** Bits needed to write the number: 0 for zero. */
    static int bitLength(long hi, long lo) {
        return hi != 0 ? 128 - Long.numberOfLeadingZeros(hi) : 64 - Long.numberOfLeadingZeros(lo);
    }
}
