package io.sourceipguard.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads Kubernetes objects the way kubectl does: files, directories (recursively, .yaml, .yml
 * and .json), or standard input; multi-document YAML; JSON; {@code kind: List} and typed lists
 * such as {@code ServiceList}. So the output of {@code kubectl kustomize}, {@code helm template}
 * or {@code kubectl get -o yaml} can be piped in.
 */
public final class ManifestReader {

    private static final ObjectReader YAML = new YAMLMapper(
                    YAMLFactory.builder().build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .readerFor(JsonNode.class);

    private ManifestReader() {}

    /** Reads every source in order; {@code -} is standard input. */
    public static List<Manifest> read(List<String> sources, InputStream stdin) throws InputException {
        List<Manifest> manifests = new ArrayList<>();
        for (String source : sources) {
            if ("-".equals(source)) {
                readDocuments(new java.io.InputStreamReader(stdin, StandardCharsets.UTF_8), "<stdin>", manifests);
                continue;
            }
            Path path = Path.of(source);
            if (Files.isDirectory(path)) {
                for (Path file : files(path)) {
                    readFile(file, manifests);
                }
            } else if (Files.isRegularFile(path)) {
                readFile(path, manifests);
            } else {
                throw new InputException(source + ": no such file or directory");
            }
        }
        return manifests;
    }

    private static List<Path> files(Path dir) throws InputException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml")
                            || p.toString().endsWith(".yml")
                            || p.toString().endsWith(".json"))
                    .sorted()
                    .toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new InputException(dir + ": cannot list the directory: " + e.getMessage());
        }
    }

    private static void readFile(Path file, List<Manifest> out) throws InputException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            readDocuments(reader, file.toString(), out);
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static void readDocuments(Reader reader, String source, List<Manifest> out) throws InputException {
        int document = 0;
        try (MappingIterator<JsonNode> documents = YAML.readValues(reader)) {
            while (documents.hasNextValue()) {
                JsonNode node = documents.nextValue();
                document++;
                add(node, source + " (document " + document + ")", out);
            }
        } catch (JsonProcessingException e) {
            throw new InputException(source + ":" + line(e.getLocation()) + ": not valid YAML or JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException | RuntimeException e) {
            Throwable cause = e.getCause() instanceof JsonProcessingException p ? p : e;
            String where = cause instanceof JsonProcessingException p ? line(p.getLocation()) : "";
            throw new InputException(
                    source + ":" + where + ": not valid YAML or JSON: " + firstLine(cause.getMessage()));
        }
    }

    private static void add(JsonNode node, String source, List<Manifest> out) throws InputException {
        if (node == null
                || node.isNull()
                || node.isMissingNode()
                || (node.isObject() && node.isEmpty())
                || (node.isTextual() && node.textValue().isEmpty())) {
            return; // an empty document, as between two "---"
        }
        if (!node.isObject()) {
            throw new InputException(
                    source + ": is a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " ("
                            + firstLine(node.toString()) + "), not a Kubernetes object");
        }
        String kind = node.path("kind").asText("");
        if (kind.isEmpty() || node.path("apiVersion").asText("").isEmpty()) {
            throw new InputException(source + ": has no kind or apiVersion, so it is not a Kubernetes object");
        }
        if (kind.endsWith("List") && node.path("items").isArray()) {
            int i = 0;
            for (JsonNode item : node.path("items")) {
                add(item, source + " item " + i++, out);
            }
            return;
        }
        out.add(new Manifest(node, source));
    }

    private static String line(JsonLocation location) {
        return location == null || location.getLineNr() < 0 ? "" : location.getLineNr() + ":" + location.getColumnNr();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
