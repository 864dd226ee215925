package io.sourceipguard.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The arrows of docs/architecture.md, read from the imports of the main sources: the policy core
 * imports no other package of the project and no framework; the admission door only the core and
 * the configuration; and no two packages import each other, however indirectly.
 */
class PackageArrowsTest {

    private static final Path SOURCES = Path.of("src/main/java/io/sourceipguard");
    private static final Pattern IMPORT =
            Pattern.compile("^import (?:static )?(io\\.sourceipguard\\.([a-z]+)|[a-z][\\w.]*)", Pattern.MULTILINE);

    /** Package to the project packages and outside packages its files import. */
    private static Map<String, Set<String>> imports() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = SOURCES.relativize(file);
                String from = relative.getNameCount() == 1
                        ? "(root)"
                        : relative.getName(0).toString();
                Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    to.add(m.group(2) != null ? m.group(2) : m.group(1));
                }
                to.remove(from);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    private static Set<String> projectImports(Set<String> all, Set<String> packages) {
        Set<String> out = new TreeSet<>(all);
        out.retainAll(packages);
        return out;
    }

    @Test
    void thePolicyCoreImportsNoOtherPackageAndNoFramework() {
        Map<String, Set<String>> graph = imports();
        Set<String> policy = graph.get("policy");
        assertEquals(Set.of(), projectImports(policy, graph.keySet()), "policy imports project packages");
        for (String imported : policy) {
            for (String framework :
                    List.of("io.quarkus", "io.vertx", "io.fabric8", "jakarta", "io.smallrye", "io.micrometer")) {
                assertTrue(!imported.startsWith(framework), "policy imports " + imported);
            }
        }
    }

    @Test
    void theAdmissionDoorImportsOnlyThePolicyCoreAndTheConfiguration() {
        Map<String, Set<String>> graph = imports();
        Set<String> admission = projectImports(graph.get("admission"), graph.keySet());
        assertTrue(Set.of("policy", "config").containsAll(admission), "admission imports " + admission);
    }

    @Test
    void noPackageReachesItselfThroughItsImports() {
        Map<String, Set<String>> graph = imports();
        for (String start : graph.keySet()) {
            Deque<List<String>> paths = new ArrayDeque<>();
            paths.add(List.of(start));
            Set<String> seen = new TreeSet<>();
            while (!paths.isEmpty()) {
                List<String> path = paths.poll();
                for (String next :
                        projectImports(graph.getOrDefault(path.get(path.size() - 1), Set.of()), graph.keySet())) {
                    List<String> longer =
                            Stream.concat(path.stream(), Stream.of(next)).toList();
                    assertTrue(!next.equals(start), "a cycle: " + String.join(" -> ", longer));
                    if (seen.add(next)) {
                        paths.add(longer);
                    }
                }
            }
        }
    }
}
