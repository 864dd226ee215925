package io.sourceipguard.policy;

import java.util.List;

/**
 * What one rule concluded about one object: the outcome, a short message for people, the
 * patch for {@link Outcome#MUTATE} (for a denial: the complete fix, which admission never
 * applies and reports show), and notes that become warnings whatever the outcome.
 */
public record Finding(String rule, Outcome outcome, String message, List<PatchOperation> patch, List<String> notes) {

    public Finding {
        patch = List.copyOf(patch);
        notes = List.copyOf(notes);
    }

    public static Finding pass(String rule) {
        return new Finding(rule, Outcome.PASS, "", List.of(), List.of());
    }

    public static Finding skip(String rule, String why) {
        return new Finding(rule, Outcome.SKIP, why, List.of(), List.of());
    }

    public static Finding mutate(String rule, String message, List<PatchOperation> patch) {
        return new Finding(rule, Outcome.MUTATE, message, patch, List.of());
    }

    public static Finding deny(String rule, String message) {
        return new Finding(rule, Outcome.DENY, message, List.of(), List.of());
    }

    /** A denial with the complete fix, as operations on the object (a report can apply them). */
    public static Finding deny(String rule, String message, List<PatchOperation> fix) {
        return new Finding(rule, Outcome.DENY, message, fix, List.of());
    }

    public static Finding warn(String rule, String message) {
        return new Finding(rule, Outcome.WARN, message, List.of(), List.of());
    }

    /**
     * The same finding as a warning: admitted unchanged, why first (warnings are cut at about 240
     * characters); a fix it carried is kept for reports.
     */
    public Finding asWarning(String why) {
        return new Finding(rule, Outcome.WARN, why + " " + message, patch, notes);
    }

    public static Finding exempt(String rule, String message) {
        return new Finding(rule, Outcome.EXEMPT, message, List.of(), List.of());
    }

    /** The same finding with one more note. */
    public Finding withNote(String note) {
        List<String> more = new java.util.ArrayList<>(notes);
        more.add(note);
        return new Finding(rule, outcome, message, patch, more);
    }
}
