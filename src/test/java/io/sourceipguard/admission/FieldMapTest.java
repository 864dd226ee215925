package io.sourceipguard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.Reviews;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link FieldMap} against the map Jackson uses by default: any sequence of writes, removals
 * (by key, through an iterator) and in-place value changes, across the switch to the large form,
 * leaves the same fields in the same order, with the same answers on the way.
 */
class FieldMapTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Op(int kind, String key, int value) {}

    @Property(tries = 2000)
    void behavesAsALinkedHashMap(@ForAll("programs") List<Op> program) {
        FieldMap fields = new FieldMap();
        Map<String, JsonNode> expected = new LinkedHashMap<>();
        for (Op op : program) {
            JsonNode value = IntNode.valueOf(op.value());
            switch (op.kind()) {
                case 0, 1, 2 -> assertEquals(expected.put(op.key(), value), fields.put(op.key(), value), "put");
                case 3 -> assertEquals(expected.remove(op.key()), fields.remove(op.key()), "remove");
                case 4 -> {
                    removeThroughIterator(expected, value);
                    removeThroughIterator(fields, value);
                }
                case 5 -> {
                    setThroughEntry(expected, op.key(), value);
                    setThroughEntry(fields, op.key(), value);
                }
                default -> {
                    expected.clear();
                    fields.clear();
                }
            }
            assertEquals(expected.get(op.key()), fields.get(op.key()), "get " + op.key());
            assertEquals(expected.containsKey(op.key()), fields.containsKey(op.key()), "containsKey");
            assertEquals(expected.size(), fields.size(), "size");
            assertEquals(new ArrayList<>(expected.entrySet()), new ArrayList<>(fields.entrySet()), "entries");
            assertEquals(expected, fields);
            assertEquals(expected.hashCode(), fields.hashCode());
        }
    }

    @Provide
    Arbitrary<List<Op>> programs() {
        // Few distinct keys, so writes hit existing fields; up to 20, so maps cross SMALL and back.
        Arbitrary<String> keys = Arbitraries.integers().between(0, 19).map(i -> "k" + i);
        Arbitrary<Op> op = Combinators.combine(
                        Arbitraries.integers().between(0, 6),
                        keys,
                        Arbitraries.integers().between(0, 3))
                .as(Op::new);
        return op.list().ofMaxSize(60);
    }

    // Every field with this value: neighbours are removed one after the other.
    private static void removeThroughIterator(Map<String, JsonNode> map, JsonNode value) {
        for (Iterator<Map.Entry<String, JsonNode>> it = map.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue().equals(value)) {
                it.remove();
            }
        }
    }

    private static void setThroughEntry(Map<String, JsonNode> map, String key, JsonNode value) {
        for (Map.Entry<String, JsonNode> entry : map.entrySet()) {
            if (entry.getKey().equals(key)) {
                entry.setValue(value);
            }
        }
    }

    @Example
    void aDecodedReviewIsTheTreeJacksonReads() throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        try (var files = Files.list(Path.of("bench/bodies"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                bodies.add(Files.readAllBytes(file));
            }
        }
        bodies.add(JSON.writeValueAsBytes(Reviews.create(Fixtures.manifest("aks-azure-ip-masq-agent-config.yaml"))));
        AdmissionRequestDecoder decoder = new AdmissionRequestDecoder(JSON);
        for (byte[] body : bodies) {
            JsonNode object = decoder.decode(body).subject().object();
            JsonNode plain = JSON.readTree(body).path("request").path("object");
            assertNotSame(plain, object);
            assertEquals(plain, object);
            assertEquals(JSON.writeValueAsString(plain), JSON.writeValueAsString(object), "field order");
        }
    }
}
