package io.sourceipguard.policies;

import io.sourceipguard.policy.Keys;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The CEL the generated policies are written in: literals, label lookups that never fail on a missing
 * field (optional chaining, Kubernetes 1.28+), and the label grammar of the engine ({@code RuleSelection},
 * {@code NamespaceMode}) as RE2 patterns. Label values hold no ',' ':' or blanks, so of the engine's
 * separators only '.' and '_' can occur.
 */
final class Cel {

    private static final String SEPARATOR = "[._]";

    private final String ids;

    /** For the rule ids an exemption or a namespace mode may name. */
    Cel(List<String> ruleIds) {
        this.ids = "(" + String.join("|", ruleIds) + ")";
    }

    /** A CEL string literal. */
    static String lit(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A CEL list of string literals. */
    static String list(Collection<String> texts) {
        return texts.stream().sorted().map(Cel::lit).collect(Collectors.joining(", ", "[", "]"));
    }

    /** The value of a label of {@code object} (a CEL path to an object with metadata), '' when unset. */
    static String label(String object, String key) {
        return object + ".metadata.?labels[?" + lit(key) + "].orValue('')";
    }

    /** The value of a label of the request's namespace, '' when unset or cluster-scoped. */
    static String namespaceLabel(String key) {
        return "(namespaceObject == null ? '' : " + label("namespaceObject", key) + ")";
    }

    /** A valid exemption value ({@code all}, or known rule ids) — an invalid one exempts nothing. */
    String validSelection(String value) {
        return value + ".matches(" + lit("^(all|" + ids + "(" + SEPARATOR + "+" + ids + ")*)$") + ")";
    }

    /** The exemption value (already valid) names the rule. */
    static String selects(String value, String rule) {
        return "(" + value + " == 'all' || " + value + ".matches("
                + lit("(^|" + SEPARATOR + ")" + rule + "(" + SEPARATOR + "|$)") + "))";
    }

    /**
     * The engine's exemption of one object from a rule: its own valid {@code sourceip-guard.io/exempt}
     * label decides; otherwise its namespace's.
     */
    String exempted(String rule) {
        String own = label("object", Keys.EXEMPT);
        String namespace = namespaceLabel(Keys.EXEMPT);
        return "(" + validSelection(own) + "\n  ? " + selects(own, rule) + "\n  : " + validSelection(namespace)
                + "\n    && " + selects(namespace, rule) + ")";
    }

    /** A valid namespace mode label: enforce or audit, then known rule ids (any case, as the engine reads it). */
    String validMode(String value) {
        return value + ".matches(" + lit("^(?i:enforce|audit)(" + SEPARATOR + "+" + ids + ")*$") + ")";
    }

    /** The namespace's {@code sourceip-guard.io/mode} label puts the rule in {@code mode} (enforce or audit). */
    String namespaceSays(String rule, String mode) {
        String value = namespaceLabel(Keys.MODE);
        return "(" + value + ".matches(" + lit("^(?i:" + mode + ")$") + ")\n  || " + value + ".matches("
                + lit("^(?i:" + mode + ")(" + SEPARATOR + "+" + ids + ")+$") + ")\n    && " + value + ".matches("
                + lit(SEPARATOR + rule + "(" + SEPARATOR + "|$)") + "))";
    }
}
