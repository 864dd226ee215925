package io.sourceipguard.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A report as {@code wgpolicyk8s.io/v1alpha2} objects, the format Kyverno and Policy Reporter use:
 * one PolicyReport per namespace, one ClusterPolicyReport for cluster-scoped objects. Rows that
 * do not apply (skip) are left out; mutate and deny are failures, exempt is a skip with who granted it.
 */
public final class PolicyReports {

    public static final String API_VERSION = "wgpolicyk8s.io/v1alpha2";
    public static final String NAME = "sourceip-guard";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    private PolicyReports() {}

    public static List<ObjectNode> of(Report report, Instant now) {
        Map<String, List<ReportRow>> byNamespace = new LinkedHashMap<>();
        for (ReportRow row : report.rows()) {
            if (row.outcome() != Outcome.SKIP) {
                byNamespace
                        .computeIfAbsent(row.namespace(), k -> new ArrayList<>())
                        .add(row);
            }
        }
        List<ObjectNode> reports = new ArrayList<>();
        byNamespace.forEach((namespace, rows) -> reports.add(report(namespace, rows, now)));
        return reports;
    }

    private static ObjectNode report(String namespace, List<ReportRow> rows, Instant now) {
        ObjectNode report = JsonNodeFactory.instance.objectNode();
        report.put("apiVersion", API_VERSION);
        report.put("kind", namespace.isEmpty() ? "ClusterPolicyReport" : "PolicyReport");
        ObjectNode metadata = report.putObject("metadata");
        metadata.put("name", NAME);
        if (!namespace.isEmpty()) {
            metadata.put("namespace", namespace);
        }
        metadata.putObject("labels").put(MANAGED_BY, NAME);
        Map<String, Integer> summary =
                new LinkedHashMap<>(Map.of("pass", 0, "fail", 0, "warn", 0, "error", 0, "skip", 0));
        var results = report.putArray("results");
        for (ReportRow row : rows) {
            String result = switch (row.outcome()) {
                case PASS -> "pass";
                case MUTATE, DENY -> "fail";
                case WARN -> "warn";
                default -> "skip";
            };
            summary.merge(result, 1, Integer::sum);
            ObjectNode r = results.addObject();
            r.put("policy", NAME);
            r.put("rule", row.rule());
            r.put("result", result);
            r.put("message", row.message().isEmpty() ? row.rule() + ": " + row.result() : row.message());
            r.put("source", NAME);
            r.put("scored", true);
            r.put("severity", row.outcome() == Outcome.DENY ? "high" : "medium");
            r.putObject("timestamp").put("seconds", now.getEpochSecond()).put("nanos", 0);
            r.putObject("properties").put("outcome", row.result());
            ObjectNode resource = r.putArray("resources").addObject();
            resource.put("apiVersion", row.apiVersion());
            resource.put("kind", row.kind());
            resource.put("name", row.name());
            if (!namespace.isEmpty()) {
                resource.put("namespace", namespace);
            }
        }
        ObjectNode counts = report.putObject("summary");
        summary.forEach(counts::put);
        return report;
    }
}
