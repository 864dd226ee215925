package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PatchOperation;
import java.io.IOException;
import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects a report would change, corrected: each mutation's patch and each denial's complete
 * fix applied to a copy of the object, written as YAML documents for {@code kubectl apply -f}.
 * Server-set metadata and status are dropped, so an apply neither conflicts on an old
 * resourceVersion nor tries to write status.
 */
public final class FixWriter {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build();
    private static final List<String> SERVER_SET =
            List.of("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink");

    private FixWriter() {}

    /** Writes the corrected objects; returns how many were written. */
    public static int write(Report report, List<Manifest> manifests, Writer out) throws IOException {
        Map<String, ObjectNode> fixed = new LinkedHashMap<>();
        Map<String, Manifest> bySource = new LinkedHashMap<>();
        manifests.forEach(m -> bySource.put(m.source(), m));
        for (ReportRow row : report.rows()) {
            boolean changes =
                    row.outcome() == Outcome.MUTATE || row.outcome() == Outcome.DENY || row.outcome() == Outcome.WARN;
            Manifest manifest = bySource.get(row.source());
            if (!changes || row.patch().isEmpty() || manifest == null) {
                continue;
            }
            ObjectNode object = fixed.computeIfAbsent(
                    row.source(), s -> clean(manifest.object().deepCopy()));
            row.patch().forEach(op -> apply(object, op));
        }
        for (ObjectNode object : fixed.values()) {
            out.write("---\n");
            out.write(YAML.writeValueAsString(object));
        }
        out.flush();
        return fixed.size();
    }

    private static ObjectNode clean(JsonNode object) {
        ObjectNode copy = (ObjectNode) object;
        copy.remove("status");
        if (copy.path("metadata") instanceof ObjectNode metadata) {
            SERVER_SET.forEach(metadata::remove);
        }
        return copy;
    }

    // The operations the rules write: add and replace, on object members, array indexes and "-".
    static void apply(ObjectNode root, PatchOperation op) {
        String[] tokens = op.path().substring(1).split("/", -1);
        JsonNode parent = root;
        for (int i = 0; i < tokens.length - 1; i++) {
            String token = unescape(tokens[i]);
            parent = parent.isArray() ? parent.get(Integer.parseInt(token)) : parent.get(token);
        }
        String last = unescape(tokens[tokens.length - 1]);
        if (parent instanceof ObjectNode object) {
            object.set(last, op.value());
        } else if (parent instanceof ArrayNode array) {
            if ("-".equals(last)) {
                array.add(op.value());
            } else if ("add".equals(op.op())) {
                array.insert(Integer.parseInt(last), op.value());
            } else {
                array.set(Integer.parseInt(last), op.value());
            }
        }
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }
}
