package io.sourceipguard.policy.cidr;

import static io.sourceipguard.testing.TestPolicies.cidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrsTest {

    @Test
    void parsesAlignedBlocks() throws InvalidCidrException {
        assertEquals("10.0.0.0/8", String.valueOf(Cidrs.parse("10.0.0.0/8")));
        assertEquals("0.0.0.0/0", String.valueOf(Cidrs.parse("0.0.0.0/0")));
        assertEquals("fd00::/8", String.valueOf(Cidrs.parse("fd00::/8")));
        assertEquals("192.168.1.7/32", String.valueOf(Cidrs.parse(" 192.168.1.7/32 ")));
    }

    @Test
    void refusesHostBitsAndSuggestsTheNetwork() {
        InvalidCidrException e = assertThrows(InvalidCidrException.class, () -> Cidrs.parse("10.0.0.1/8"));
        assertTrue(e.getMessage().contains("Did you mean 10.0.0.0/8?"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                " ",
                "10.0.0.0",
                "10.0.0.0/33",
                "10.0.0/8",
                "010.0.0.0/8",
                "10.0.0.0-10.0.0.255",
                "*.0.0.0/8",
                "fd00::/129",
                "banana/8",
                "10.0.0.0/8/8",
                "256.0.0.0/8",
                "0x0a000000/8"
            })
    void refusesWhatTheAgentCannotParse(String text) {
        assertThrows(InvalidCidrException.class, () -> Cidrs.parse(text));
    }

    @Test
    void uncoveredOfTheWholeInternetMinusRfc1918IsTheMinimalComplement() {
        List<Cidr> gaps = Cidrs.uncovered(
                List.of(cidr("0.0.0.0/0")), List.of(cidr("10.0.0.0/8"), cidr("172.16.0.0/12"), cidr("192.168.0.0/16")));
        List<String> text = gaps.stream().map(Cidr::toString).toList();
        assertEquals("0.0.0.0/5", text.get(0));
        assertEquals("8.0.0.0/7", text.get(1));
        assertEquals("11.0.0.0/8", text.get(2));
        assertEquals(
                List.of("172.0.0.0/12", "172.32.0.0/11"),
                text.subList(text.indexOf("172.0.0.0/12"), text.indexOf("172.0.0.0/12") + 2));
        assertTrue(text.contains("192.169.0.0/16"));
    }

    @Test
    void fullyCoveredIsEmptyEvenWhenCoverIsFragmentedAndOverlapping() {
        assertEquals(
                List.of(),
                Cidrs.uncovered(
                        List.of(cidr("10.0.0.0/8")),
                        List.of(
                                cidr("10.0.0.0/9"),
                                cidr("10.128.0.0/10"),
                                cidr("10.192.0.0/10"),
                                cidr("10.64.0.0/16"))));
    }

    @Test
    void familiesAreJudgedSeparately() {
        List<Cidr> gaps = Cidrs.uncovered(List.of(cidr("::/0"), cidr("10.0.0.0/8")), List.of(cidr("0.0.0.0/0")));
        assertEquals(List.of("::/0"), gaps.stream().map(Cidr::toString).toList());
    }

    @Test
    void edgesOfTheAddressSpace() {
        assertEquals(
                List.of("0.0.0.0/32"),
                Cidrs.uncovered(List.of(cidr("0.0.0.0/31")), List.of(cidr("0.0.0.1/32"))).stream()
                        .map(Cidr::toString)
                        .toList());
        assertEquals(
                List.of("255.255.255.254/32"),
                Cidrs.uncovered(List.of(cidr("255.255.255.254/31")), List.of(cidr("255.255.255.255/32"))).stream()
                        .map(Cidr::toString)
                        .toList());
        assertEquals(
                List.of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128"),
                Cidrs.uncovered(
                                List.of(cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127")),
                                List.of(cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")))
                        .stream()
                        .map(Cidr::toString)
                        .toList());
    }
}
