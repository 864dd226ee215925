package io.sourceipguard.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every rule against a subject and turns their findings into one {@link Decision}.
 * Modes are applied here, around the rules, so a rule only ever says what it sees: every door
 * (admission, report, background scan) calls this one method and so can never disagree.
 */
public final class PolicyEngine {

    /** Prefix of every warning, so users can tell ours from the API server's. */
    public static final String WARNING_PREFIX = "sourceip-guard: ";

    private final List<Rule> rules;
    private final RuleModes modes;

    public PolicyEngine(List<Rule> rules, RuleModes modes) {
        this.rules = List.copyOf(rules);
        this.modes = modes;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Evaluates all rules (for reports). */
    public Decision evaluate(AdmissionSubject subject, ClusterView cluster) {
        return evaluate(subject, cluster, null);
    }

    /** Evaluates the rules of one phase (for the admission doors); {@code phase == null} means all. */
    public Decision evaluate(AdmissionSubject subject, ClusterView cluster, Rule.Phase phase) {
        List<Finding> findings = new ArrayList<>(rules.size());
        List<PatchOperation> patch = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> denials = new ArrayList<>();
        Map<String, String> audit = new LinkedHashMap<>();
        for (Rule rule : rules) {
            if (phase != null && rule.phase() != phase) {
                continue;
            }
            Mode mode = modes.of(rule.id());
            if (mode == Mode.OFF) {
                findings.add(Finding.skip(rule.id(), "rule is off"));
                continue;
            }
            if (!rule.appliesTo(subject)) {
                findings.add(Finding.skip(rule.id(), "not applicable"));
                continue;
            }
            Finding finding = rule.evaluate(subject, cluster);
            findings.add(finding);
            String tag = "[" + rule.id() + "] ";
            switch (finding.outcome()) {
                case MUTATE -> {
                    if (mode == Mode.AUDIT) {
                        warnings.add(WARNING_PREFIX + tag + "would " + finding.message() + " (audit mode)");
                        audit.put(rule.id(), "would-mutate");
                    } else {
                        patch.addAll(finding.patch());
                        warnings.add(WARNING_PREFIX + tag + finding.message());
                        audit.put(rule.id(), "mutated");
                    }
                }
                case DENY -> {
                    if (mode == Mode.AUDIT) {
                        warnings.add(WARNING_PREFIX + tag + "would deny: " + finding.message() + " (audit mode)");
                        audit.put(rule.id(), "would-deny");
                    } else {
                        denials.add(tag + finding.message());
                        audit.put(rule.id(), "denied");
                    }
                }
                default -> {
                }
            }
            for (String note : finding.notes()) {
                warnings.add(WARNING_PREFIX + tag + note);
            }
        }
        if (!denials.isEmpty()) {
            return new Decision(false, String.join(" ", denials), List.of(), warnings, audit, findings);
        }
        return new Decision(true, "", patch, warnings, audit, findings);
    }
}
