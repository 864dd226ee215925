package io.sourceipguard.report;

import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PolicyEngine;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the policies would do to a set of objects: one row per rule and object, from the same
 * engine, modes and exemptions as admission, so a report never disagrees with the webhook.
 */
public record Report(List<ReportRow> rows) {

    public Report {
        rows = List.copyOf(rows);
    }

    /** Evaluates every manifest as a CREATE with no requester (no guard, no stamps). */
    public static Report of(PolicyEngine engine, List<Manifest> manifests, ClusterView cluster) {
        List<ReportRow> rows = new ArrayList<>(manifests.size() * engine.rules().size());
        for (Manifest manifest : manifests) {
            if ("Node".equals(manifest.kind())) {
                continue; // a fact about the cluster (pools, pod network), not something the rules judge
            }
            Decision decision = engine.evaluate(AdmissionSubject.ofObject(manifest.object()), cluster);
            for (Finding finding : decision.findings()) {
                rows.add(ReportRow.of(manifest, finding));
            }
        }
        return new Report(rows);
    }

    /** How many rows have each outcome, in the order of {@link Outcome}. */
    public Map<Outcome, Integer> summary() {
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, 0);
        }
        rows.forEach(r -> counts.merge(r.outcome(), 1, Integer::sum));
        return counts;
    }

    /** True when something would be mutated or denied, or needs a fix the webhook will not make. */
    public boolean wouldChange() {
        return rows.stream()
                .anyMatch(r ->
                        r.outcome() == Outcome.MUTATE || r.outcome() == Outcome.DENY || r.outcome() == Outcome.WARN);
    }
}
