package io.sourceipguard.policy;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A set of rules named in a label value: {@code all}, or rule ids. Label values cannot hold
 * ',' or ':' (the API server rejects them), so ids are separated by '.'; ',', ':' and '_' are
 * accepted too, for annotations and configuration.
 */
public record RuleSelection(boolean all, Set<String> rules) {

    public static final RuleSelection NONE = new RuleSelection(false, Set.of());
    public static final RuleSelection ALL = new RuleSelection(true, Set.of());
    static final String SEPARATORS = "[.,:_\\s]+";

    public RuleSelection {
        rules = Set.copyOf(rules);
    }

    /** Parses an exemption value; throws IllegalArgumentException naming an unknown rule. */
    public static RuleSelection parse(String value, List<String> knownRules) {
        String trimmed = value == null ? "" : value.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException(
                    "is empty; use all, or rule ids separated by '.': " + String.join(", ", knownRules));
        }
        if ("all".equals(trimmed)) {
            return ALL;
        }
        return new RuleSelection(false, ids(List.of(trimmed.split(SEPARATORS)), knownRules));
    }

    static Set<String> ids(List<String> tokens, List<String> knownRules) {
        Set<String> ids = new LinkedHashSet<>();
        for (String token : tokens) {
            if (token.isEmpty()) {
                continue;
            }
            if (!knownRules.contains(token)) {
                throw new IllegalArgumentException("names the unknown rule '" + token + "'; rules are "
                        + String.join(", ", knownRules) + ", or all");
            }
            ids.add(token);
        }
        return ids;
    }

    public boolean contains(String rule) {
        return all || rules.contains(rule);
    }

    public boolean isEmpty() {
        return !all && rules.isEmpty();
    }

    @Override
    public String toString() {
        return all ? "all" : String.join(",", rules);
    }
}
