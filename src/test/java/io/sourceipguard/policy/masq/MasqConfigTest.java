package io.sourceipguard.policy.masq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sourceipguard.policy.cidr.Cidrs;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The written-out shape checks of {@link MasqConfig#toYaml} against the patterns they replace, on
 * strings drawn from the characters that matter (digits, hex, separators, units, quotes, YAML
 * indicators), and the entries parsed once with the agent's own verdicts.
 */
class MasqConfigTest {

    // The patterns as toYaml used them before they were written out.
    private static final Pattern CIDR = Pattern.compile("[0-9A-Fa-f][0-9A-Fa-f:.]*/[0-9]{1,3}");
    private static final Pattern DURATION = Pattern.compile("([0-9]+(\\.[0-9]*)?(ns|us|ms|s|m|h))+");

    @Property(tries = 5000)
    void cidrShapeIsThePattern(@ForAll("texts") String text) {
        assertEquals(CIDR.matcher(text).matches(), MasqConfig.isCidrShape(text), text);
    }

    @Property(tries = 5000)
    void durationShapeIsThePattern(@ForAll("texts") String text) {
        assertEquals(DURATION.matcher(text).matches(), MasqConfig.isDurationShape(text), text);
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789abcdefABx:./&\" -").ofMaxLength(20),
                Arbitraries.strings().withChars("0123456789.nsumh").ofMaxLength(12),
                Arbitraries.of(
                        "10.0.0.0/8", "fd00::/8", "&d00::/8", "1m30s", "1.5h", "12:30", "yes", "", "/8", "a/1234"));
    }

    @Example
    void entriesAreParsedAsTheAgentReadsThem() throws Exception {
        MasqConfig config =
                new MasqConfig(List.of("10.0.0.0/8", "10.0.0.1/8", "nope", "fd00::/8"), null, null, null, null);

        assertEquals(Cidrs.parse("10.0.0.0/8"), config.entries().get(0).block());
        assertNull(config.entries().get(1).block());
        assertEquals(
                "'10.0.0.1/8' has host bits set; the agent refuses it. Did you mean 10.0.0.0/8?",
                config.entries().get(1).problem());
        assertEquals(List.of(Cidrs.parse("10.0.0.0/8"), Cidrs.parse("fd00::/8")), config.blocks());
    }

    @Example
    void yamlQuotesWhatIsNotPlainlyACidrOrDuration() {
        MasqConfig config = new MasqConfig(List.of("10.0.0.0/8", "&d00::/8"), true, null, "1m", 3);

        assertEquals(
                "nonMasqueradeCIDRs:\n  - 10.0.0.0/8\n  - \"&d00::/8\"\nmasqLinkLocal: true\nresyncInterval: 1m\ncidrLimit: 3\n",
                config.toYaml());
    }
}
