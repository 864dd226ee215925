package io.sourceipguard.policy.masq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MasqConfigParserTest {

    @Test
    void readsEveryFieldOfTheUpstreamAgentFromYaml() {
        MasqConfigParser.Result r = MasqConfigParser.parse("""
                nonMasqueradeCIDRs:
                  - 10.0.0.0/8
                  - 192.168.0.0/16
                masqLinkLocal: false
                masqLinkLocalIPv6: true
                resyncInterval: 1m30s
                cidrLimit: 10
                """);
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(List.of("10.0.0.0/8", "192.168.0.0/16"), r.config().nonMasqueradeCIDRs());
        assertEquals(false, r.config().masqLinkLocal());
        assertEquals(true, r.config().masqLinkLocalIPv6());
        assertEquals("1m30s", r.config().resyncInterval());
        assertEquals(10, r.config().cidrLimit());
    }

    @Test
    void readsJson() {
        MasqConfigParser.Result r =
                MasqConfigParser.parse("{\"nonMasqueradeCIDRs\":[\"0.0.0.0/0\"],\"masqLinkLocal\":true}");
        assertTrue(r.ok());
        assertEquals(List.of("0.0.0.0/0"), r.config().nonMasqueradeCIDRs());
    }

    @Test
    void anEmptyFileIsAnEmptyConfig() {
        MasqConfigParser.Result r = MasqConfigParser.parse("");
        assertTrue(r.ok());
        assertEquals(List.of(), r.config().nonMasqueradeCIDRs());
        assertNull(r.config().masqLinkLocal());
    }

    @Test
    void aTypoInTheCidrFieldIsNamedWithTheRightSpelling() {
        MasqConfigParser.Result r = MasqConfigParser.parse("nonMasqueradeCidrs:\n  - 0.0.0.0/0\n");
        assertFalse(r.ok());
        assertEquals(
                List.of(
                        "unknown field 'nonMasqueradeCidrs' (the agent ignores it); did you mean 'nonMasqueradeCIDRs'?"),
                r.problems());
    }

    @Test
    void anUnrelatedUnknownFieldListsTheKnownOnes() {
        MasqConfigParser.Result r = MasqConfigParser.parse("snatTarget: 1.2.3.4\n");
        assertTrue(
                r.problems().get(0).contains("known fields are nonMasqueradeCIDRs, masqLinkLocal"),
                r.problems().toString());
    }

    @Test
    void syntaxErrorsNameTheLine() {
        MasqConfigParser.Result r = MasqConfigParser.parse("nonMasqueradeCIDRs:\n  - 10.0.0.0/8\n - oops: [\n");
        assertFalse(r.ok());
        assertTrue(
                r.problems().get(0).startsWith("does not parse as YAML or JSON"),
                r.problems().toString());
        assertTrue(r.problems().get(0).contains("line 3"), r.problems().toString());
    }

    @Test
    void duplicateKeysAreRefused() {
        assertFalse(MasqConfigParser.parse("masqLinkLocal: true\nmasqLinkLocal: false\n")
                .ok());
    }

    @Test
    void wrongTypesAreNamed() {
        MasqConfigParser.Result r = MasqConfigParser.parse("""
                nonMasqueradeCIDRs: 10.0.0.0/8
                masqLinkLocal: "maybe"
                resyncInterval: 60
                cidrLimit: -1
                """);
        assertEquals(4, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith("nonMasqueradeCIDRs must be a list"));
        assertTrue(r.problems().get(1).startsWith("masqLinkLocal must be true or false"));
        assertTrue(r.problems().get(2).startsWith("resyncInterval must be a duration"));
        assertTrue(r.problems().get(3).startsWith("cidrLimit must be a positive whole number"));
    }

    @Test
    void emptyListEntriesAreKeptForTheRuleToRefuse() {
        MasqConfigParser.Result r = MasqConfigParser.parse("nonMasqueradeCIDRs:\n  - 10.0.0.0/8\n  -\n  - \"\"\n");
        assertTrue(r.ok());
        assertEquals(List.of("10.0.0.0/8", "", ""), r.config().nonMasqueradeCIDRs());
    }

    @Test
    void aScalarDocumentIsNotAConfig() {
        MasqConfigParser.Result r = MasqConfigParser.parse("10.0.0.0/8");
        assertTrue(
                r.problems().get(0).startsWith("must be a mapping of fields"),
                r.problems().toString());
    }
}
