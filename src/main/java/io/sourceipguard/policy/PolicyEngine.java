package io.sourceipguard.policy;

import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs every rule against a subject and turns their findings into one {@link Decision}.
 * Everything that wraps the rules happens here, in this order, so that a rule only says what it
 * sees and every door (admission, report, background scan) gets the same answer:
 * <ol>
 *   <li>system identities bypass the rules (the platform's own reconcilers);</li>
 *   <li>the exemption guard refuses grants by non-admins and stamps admins' grants (admission only);</li>
 *   <li>exemptions on the object or its namespace skip rules;</li>
 *   <li>the mode (configuration, then the namespace label) decides enforce, audit or off.</li>
 * </ol>
 */
public final class PolicyEngine {

    /** Prefix of every warning, so users can tell ours from the API server's. */
    public static final String WARNING_PREFIX = "sourceip-guard: ";

    // The API server truncates long warnings; audit warnings repeat a denial, so they are cut.
    private static final int MAX_WARNING = 240;

    private final List<Rule> rules;
    private final List<String> ruleIds;
    // Each admission phase's rules, picked once: a review is judged in microseconds, and a filtered copy
    // per request was a tenth of what evaluating an unhandled kind allocated.
    private final Map<Rule.Phase, List<Rule>> byPhase = new EnumMap<>(Rule.Phase.class);
    private final RuleModes modes;
    private final ExemptionGuard guard;
    private final Clock clock;

    public PolicyEngine(List<Rule> rules, RuleModes modes, ExemptionSettings exemptions, Clock clock) {
        this.rules = List.copyOf(rules);
        this.ruleIds = rules.stream().map(Rule::id).toList();
        for (Rule.Phase phase : Rule.Phase.values()) {
            byPhase.put(
                    phase, this.rules.stream().filter(r -> r.phase() == phase).toList());
        }
        this.modes = modes;
        this.guard = new ExemptionGuard(exemptions, ruleIds);
        this.clock = clock;
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Evaluates all rules as a report does: no requester, so no guard and no stamps. */
    public Decision evaluate(AdmissionSubject subject, ClusterView cluster) {
        return evaluate(subject, cluster, null);
    }

    /**
     * Evaluates the rules of one admission phase ({@code null}: all rules, as a report, without the
     * requester checks). The guard runs in both phases, so a grant is refused even where only one
     * of the two webhooks is called.
     */
    public Decision evaluate(AdmissionSubject subject, ClusterView cluster, Rule.Phase phase) {
        Result result = new Result();
        List<Rule> active = phase == null ? rules : byPhase.get(phase);
        if (phase != null && guard.settings().isSystem(subject.username())) {
            for (Rule rule : active) {
                result.findings.add(Finding.exempt(rule.id(), "system identity " + subject.username()));
            }
            result.audit.put("system-identity", subject.username());
            return result.decision();
        }
        if (phase != null && guards(subject)) {
            ExemptionGuard.Grant grant = guard.grant(subject);
            String denial = guard.denial(subject, grant);
            if (denial != null) {
                result.denials.add("[exemption] " + denial);
                result.audit.put("exemption", "denied");
                return result.decision();
            }
            if (grant.any()) {
                result.warnings.add(WARNING_PREFIX + "[exemption] granted by " + subject.username());
                result.audit.put("exemption-granted-by", subject.username());
                if (phase == Rule.Phase.MUTATING) {
                    result.patch.addAll(guard.stamps(subject, grant, clock.instant()));
                }
            }
        }
        if (!subject.subResource().isEmpty()) {
            // A status or finalize write cannot change what the rules judge (the API server keeps the
            // spec), but it can change labels and annotations: only the guard above applies.
            return result.decision();
        }
        Exemption exemption = exemption(subject, cluster);
        Optional<NamespaceMode> namespaceMode = namespaceMode(subject, cluster);
        for (Rule rule : active) {
            Mode mode = modes.of(rule.id());
            if (namespaceMode.isPresent()) {
                mode = namespaceMode.get().apply(rule.id(), mode);
            }
            if (mode == Mode.OFF) {
                result.findings.add(Finding.skip(rule.id(), "rule is off"));
            } else if (!rule.appliesTo(subject)) {
                result.findings.add(Finding.skip(rule.id(), "not applicable"));
            } else if (exemption.rules.contains(rule.id())) {
                String why = "exempted by " + exemption.source + ", granted by " + exemption.grantedBy;
                result.findings.add(Finding.exempt(rule.id(), why));
                result.warnings.add(WARNING_PREFIX + "[" + rule.id() + "] skipped: " + why);
                result.audit.put(rule.id(), "exempt");
            } else {
                result.add(rule.id(), mode, rule.evaluate(subject, cluster));
            }
        }
        return result.decision();
    }

    /**
     * A review too large to read whole ({@code why} says how large): the subject carries who asks
     * and what, but no objects. Never waved through: an enforced rule that would judge the write
     * refuses it, because a write could otherwise be padded past the limit to skip the rules (a
     * failed call lets it through under failurePolicy Ignore). Platform identities, writes no rule
     * or guard looks at, and rules in audit or off are admitted with a warning.
     */
    public Decision unread(AdmissionSubject subject, ClusterView cluster, Rule.Phase phase, String why) {
        Result result = new Result();
        if (guard.settings().isSystem(subject.username())) {
            result.warnings.add(
                    WARNING_PREFIX + "[size] " + why + ": not judged (system identity " + subject.username() + ")");
            result.audit.put("system-identity", subject.username());
            return result.decision();
        }
        Optional<NamespaceMode> namespaceMode = namespaceMode(subject, cluster);
        List<String> enforced = new ArrayList<>();
        for (Rule rule : rules) {
            Mode mode = modes.of(rule.id());
            if (namespaceMode.isPresent()) {
                mode = namespaceMode.get().apply(rule.id(), mode);
            }
            if (rule.phase() == phase && mode == Mode.ENFORCE && rule.appliesTo(subject)) {
                enforced.add(rule.id());
            }
        }
        boolean guarded = guards(subject) && subject.operation() != Operation.DELETE;
        if (enforced.isEmpty() && !guarded) {
            result.warnings.add(
                    WARNING_PREFIX + "[size] " + why + ": admitted unjudged (no enforced rule looks at it)");
            result.audit.put("size", "unjudged");
            return result.decision();
        }
        String judges = enforced.isEmpty() ? "the exemption guard" : String.join(", ", enforced);
        result.denials.add("[size] " + why + ", so " + judges + " cannot judge " + subject.kind() + " "
                + subject.displayName() + "; it is refused rather than let through unjudged. The API server sends the"
                + " object (and on UPDATE the old one too) with <, > and & escaped to six bytes each: keep large values"
                + " (annotations, env) out of this object, for example in a ConfigMap or Secret it mounts.");
        result.audit.put("size", "denied");
        return result.decision();
    }

    // Kinds the webhook handles, and Namespaces, which carry namespace-wide exemptions and modes.
    private boolean guards(AdmissionSubject subject) {
        if (subject.is("", "Namespace")) {
            return true;
        }
        for (Rule rule : rules) {
            if (rule.appliesTo(subject)) {
                return true;
            }
        }
        return false;
    }

    private record Exemption(RuleSelection rules, String source, String grantedBy) {}

    private Exemption exemption(AdmissionSubject subject, ClusterView cluster) {
        com.fasterxml.jackson.databind.JsonNode object =
                subject.object().isMissingNode() ? subject.oldObject() : subject.object();
        String own = Metadata.label(object, Keys.EXEMPT);
        if (own != null) {
            RuleSelection selection = selection(own);
            if (!selection.isEmpty()) {
                return new Exemption(
                        selection,
                        "label " + Keys.EXEMPT + "=" + own,
                        orUnknown(Metadata.annotation(object, Keys.EXEMPTED_BY)));
            }
        }
        if (!subject.namespace().isEmpty()) {
            Optional<ClusterView.NamespaceMeta> namespace = cluster.namespace(subject.namespace());
            if (namespace.isPresent() && namespace.get().labels().containsKey(Keys.EXEMPT)) {
                String value = namespace.get().labels().get(Keys.EXEMPT);
                return new Exemption(
                        selection(value),
                        "namespace " + subject.namespace() + " label " + Keys.EXEMPT + "=" + value,
                        orUnknown(namespace.get().annotations().get(Keys.EXEMPTED_BY)));
            }
        }
        return new Exemption(RuleSelection.NONE, "", "");
    }

    // A value the guard would refuse exempts nothing: a broken label must not switch rules off.
    private RuleSelection selection(String value) {
        try {
            return RuleSelection.parse(value, ruleIds);
        } catch (IllegalArgumentException e) {
            return RuleSelection.NONE;
        }
    }

    private Optional<NamespaceMode> namespaceMode(AdmissionSubject subject, ClusterView cluster) {
        if (subject.namespace().isEmpty()) {
            return Optional.empty();
        }
        return cluster.namespace(subject.namespace())
                .map(ns -> ns.labels().get(Keys.MODE))
                .flatMap(value -> {
                    try {
                        return Optional.of(NamespaceMode.parse(value, ruleIds));
                    } catch (IllegalArgumentException e) {
                        return Optional.empty();
                    }
                });
    }

    private static String orUnknown(String grantedBy) {
        return grantedBy == null ? "(not recorded)" : grantedBy;
    }

    /** Findings, patches, warnings and denials gathered over one evaluation. */
    private static final class Result {
        final List<Finding> findings = new ArrayList<>();
        final List<PatchOperation> patch = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final List<String> denials = new ArrayList<>();
        final Map<String, String> audit = new LinkedHashMap<>();

        void add(String rule, Mode mode, Finding finding) {
            findings.add(finding);
            String tag = "[" + rule + "] ";
            switch (finding.outcome()) {
                case MUTATE -> {
                    if (mode == Mode.AUDIT) {
                        warnings.add(shorten(WARNING_PREFIX + tag + "would " + finding.message() + " (audit mode)"));
                        audit.put(rule, "would-mutate");
                    } else {
                        patch.addAll(finding.patch());
                        warnings.add(shorten(WARNING_PREFIX + tag + finding.message()));
                        audit.put(rule, "mutated");
                    }
                }
                case WARN -> {
                    warnings.add(shorten(WARNING_PREFIX + tag + finding.message()));
                    audit.put(rule, "warned");
                }
                case DENY -> {
                    if (mode == Mode.AUDIT) {
                        warnings.add(shorten(WARNING_PREFIX + tag + "would deny (audit mode): " + finding.message()));
                        audit.put(rule, "would-deny");
                    } else {
                        denials.add(tag + finding.message());
                        audit.put(rule, "denied");
                    }
                }
                default -> {}
            }
            for (String note : finding.notes()) {
                warnings.add(shorten(WARNING_PREFIX + tag + note));
            }
        }

        Decision decision() {
            if (!denials.isEmpty()) {
                return new Decision(false, String.join(" ", denials), List.of(), warnings, audit, findings);
            }
            return new Decision(true, "", patch, warnings, audit, findings);
        }

        private static String shorten(String warning) {
            return warning.length() <= MAX_WARNING ? warning : warning.substring(0, MAX_WARNING - 1) + "…";
        }
    }
}
