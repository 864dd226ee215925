package io.sourceipguard.policy;

import java.util.Arrays;
import java.util.List;

/**
 * The mode a Namespace asks for with its {@code sourceip-guard.io/mode} label: {@code enforce},
 * {@code audit}, or {@code audit.<rule>.<rule>} (audit for those rules only).
 */
public record NamespaceMode(Mode mode, RuleSelection rules) {

    /** Parses a label value; throws IllegalArgumentException with the fix. */
    public static NamespaceMode parse(String value, List<String> knownRules) {
        String[] tokens = (value == null ? "" : value.strip()).split(RuleSelection.SEPARATORS);
        Mode mode = Mode.parse(tokens[0]);
        if (mode == null || mode == Mode.OFF) {
            throw new IllegalArgumentException(
                    "'" + value + "' is not a namespace mode; use enforce, audit, or audit.<rule>.<rule>");
        }
        if (tokens.length == 1) {
            return new NamespaceMode(mode, RuleSelection.ALL);
        }
        return new NamespaceMode(
                mode,
                new RuleSelection(
                        false, RuleSelection.ids(Arrays.asList(tokens).subList(1, tokens.length), knownRules)));
    }

    /** True when the label asks for nothing but enforcement, which anyone may set. */
    public boolean enforcesAll() {
        return mode == Mode.ENFORCE;
    }

    /** The mode for a rule, given its configured mode: off stays off, the label decides the rest. */
    public Mode apply(String rule, Mode configured) {
        return configured == Mode.OFF || !rules.contains(rule) ? configured : mode;
    }
}
