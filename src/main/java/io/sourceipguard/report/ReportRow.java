package io.sourceipguard.report;

import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PatchOperation;
import java.util.List;
import java.util.Locale;

/** One rule's finding on one object. */
public record ReportRow(
        String rule,
        String apiVersion,
        String kind,
        String namespace,
        String name,
        Outcome outcome,
        String message,
        List<PatchOperation> patch,
        List<String> notes,
        String source) {

    public static ReportRow of(Manifest manifest, Finding finding) {
        return new ReportRow(
                finding.rule(),
                manifest.object().path("apiVersion").asText(),
                manifest.kind(),
                manifest.namespace(),
                manifest.name(),
                finding.outcome(),
                finding.message(),
                finding.patch(),
                finding.notes(),
                manifest.source());
    }

    /** The result as reports spell it: pass, mutate, deny, exempt, skip. */
    public String result() {
        return outcome.name().toLowerCase(Locale.ROOT);
    }

    /** "namespace/name", or the name alone for cluster-scoped objects. */
    public String objectName() {
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
