package io.sourceipguard.report.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.report.Report;
import io.sourceipguard.report.ReportRow;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The stable JSON schema (documented in the README): {@code apiVersion sourceip-guard.io/v1,
 * kind Report}, a summary of counts, and one result per rule and object.
 */
public final class JsonFormat implements ReportFormat {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public void write(Report report, PrintStream out) {
        try {
            out.println(JSON.writeValueAsString(tree(report)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** The report as a JSON tree; also what {@code GET /report} serves. */
    public static ObjectNode tree(Report report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("apiVersion", "sourceip-guard.io/v1");
        root.put("kind", "Report");
        ObjectNode summary = root.putObject("summary");
        report.summary().forEach((outcome, count) -> summary.put(outcome.name().toLowerCase(Locale.ROOT), count));
        ArrayNode results = root.putArray("results");
        for (ReportRow row : report.rows()) {
            ObjectNode result = results.addObject();
            result.put("rule", row.rule());
            result.put("result", row.result());
            ObjectNode resource = result.putObject("resource");
            resource.put("apiVersion", row.apiVersion());
            resource.put("kind", row.kind());
            resource.put("namespace", row.namespace());
            resource.put("name", row.name());
            result.put("message", row.message());
            if (!row.patch().isEmpty()) {
                // a mutation's patch; for a denial (or a warning) the complete fix, which admission never applies
                ArrayNode patch = result.putArray(row.outcome() == Outcome.MUTATE ? "patch" : "fix");
                for (PatchOperation op : row.patch()) {
                    ObjectNode node = patch.addObject().put("op", op.op()).put("path", op.path());
                    if (op.value() != null) {
                        node.set("value", op.value());
                    }
                }
            }
            if (!row.notes().isEmpty()) {
                ArrayNode notes = result.putArray("notes");
                row.notes().forEach(notes::add);
            }
            result.put("source", row.source());
        }
        return root;
    }
}
