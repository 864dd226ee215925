package io.sourceipguard.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The policies command: the committed overlay is its output, and what it writes follows the configuration. */
class PoliciesCommandTest {

    private static final Path OVERLAY = Path.of("k8s/overlays/admission-policies");

    @Test
    void committedOverlayIsWhatTheCommandWrites() throws Exception {
        Map<String, String> files = PoliciesCommand.files(Map.of());
        TreeSet<String> committed = new TreeSet<>();
        try (Stream<Path> list = Files.list(OVERLAY)) {
            list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .forEach(committed::add);
        }
        assertEquals(new TreeSet<>(files.keySet()), committed, "generated files in " + OVERLAY);
        for (Map.Entry<String, String> file : files.entrySet()) {
            assertEquals(
                    file.getValue(),
                    Files.readString(OVERLAY.resolve(file.getKey())),
                    OVERLAY.resolve(file.getKey()) + " differs from the command's output: run make policies");
        }
    }

    @Test
    void writesTheDirectoryAndTheStream(@TempDir Path dir) throws Exception {
        assertEquals(0, run("-o", dir.toString()).exit);
        Map<String, String> files = PoliciesCommand.files(Map.of());
        for (Map.Entry<String, String> file : files.entrySet()) {
            assertEquals(file.getValue(), Files.readString(dir.resolve(file.getKey())));
        }
        List<JsonNode> stream = documents(run().out);
        assertEquals(
                List.of(
                        "MutatingAdmissionPolicy",
                        "MutatingAdmissionPolicyBinding",
                        "MutatingAdmissionPolicy",
                        "MutatingAdmissionPolicyBinding",
                        "ValidatingAdmissionPolicy",
                        "ValidatingAdmissionPolicyBinding",
                        "ValidatingAdmissionPolicy",
                        "ValidatingAdmissionPolicyBinding",
                        "ValidatingAdmissionPolicy",
                        "ValidatingAdmissionPolicyBinding"),
                stream.stream().map(d -> d.path("kind").asText()).toList());
        for (JsonNode document : stream) {
            assertEquals(
                    "admissionregistration.k8s.io/v1",
                    document.path("apiVersion").asText());
        }
    }

    @Test
    void followsTheConfiguration() throws Exception {
        String out = run(
                        "-c",
                        "sourceip-guard.rules.ingress-node-pool.pool-label-key=example.com/pool",
                        "-c",
                        "sourceip-guard.rules.ingress-node-pool.pool-label-value=edge",
                        "-c",
                        "sourceip-guard.rules.ingress-node-pool.selectors=app=my-proxy\\,image:proxy",
                        "-c",
                        "sourceip-guard.rules.service-external-traffic-policy.include-node-port=false",
                        "-c",
                        "sourceip-guard.exemptions.admin-groups=platform-admins",
                        "-c",
                        "sourceip-guard.exemptions.system-users=system:serviceaccount:kube-system:reconciler")
                .out;
        JsonNode ingress = policy(documents(out), "sourceip-guard-ingress-node-pool");
        String patch = ingress.at("/spec/mutations/0/jsonPatch/expression").asText();
        assertTrue(patch.contains("'/spec/template/spec/nodeSelector/example.com~1pool', value: 'edge'"), patch);
        String conditions = ingress.at("/spec/matchConditions").toString();
        assertTrue(conditions.contains("[?'app'].orValue('') == 'my-proxy'"), conditions);
        assertTrue(conditions.contains(".contains('proxy')"), conditions);
        assertFalse(conditions.contains("ingress-nginx"), "the default selectors are replaced");
        assertTrue(
                conditions.contains("!(request.userInfo.username in ['system:serviceaccount:kube-system:reconciler'])"),
                conditions);
        JsonNode service = policy(documents(out), "sourceip-guard-service-external-traffic-policy");
        assertTrue(service.at("/spec/matchConditions/0/expression").asText().endsWith("in ['LoadBalancer']"));
        JsonNode guard = policy(documents(out), "sourceip-guard-exemptions");
        assertTrue(guard.at("/spec/variables/0/expression").asText().contains("g in ['platform-admins']"));
    }

    @Test
    void ruleOffWritesNoPolicyForItAndAuditSwitchesTheModeConditions() throws Exception {
        List<JsonNode> docs = documents(run(
                        "-c",
                        "sourceip-guard.rules.ingress-node-pool.mode=off",
                        "-c",
                        "sourceip-guard.rules.service-external-traffic-policy.mode=audit")
                .out);
        assertTrue(docs.stream().noneMatch(d -> d.at("/metadata/name").asText().contains("ingress-node-pool")));
        JsonNode service = policy(docs, "sourceip-guard-service-external-traffic-policy");
        // configured audit: mutate only where a namespace says enforce; warn everywhere else
        assertEquals(
                "enforced", last(service.at("/spec/variables")).path("name").asText());
        assertTrue(
                last(service.at("/spec/variables")).path("expression").asText().startsWith("((namespaceObject"));
        JsonNode audit = policy(docs, "sourceip-guard-service-external-traffic-policy-audit");
        assertEquals("audited", last(audit.at("/spec/variables")).path("name").asText());
        assertTrue(last(audit.at("/spec/variables")).path("expression").asText().startsWith("!((namespaceObject"));
    }

    @Test
    void aBadValueIsAUsageError() {
        Run run = run("-c", "sourceip-guard.rules.ingress-node-pool.mode=sometimes");
        assertEquals(2, run.exit);
        assertTrue(run.err.contains("sourceip-guard.rules.ingress-node-pool.mode"), run.err);
    }

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PoliciesCommand command = new PoliciesCommand(
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = new CommandLine(command).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static List<JsonNode> documents(String yaml) throws Exception {
        ObjectMapper mapper = new YAMLMapper();
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = mapper.getFactory().createParser(yaml)) {
            var it = mapper.readValues(parser, ObjectNode.class);
            while (it.hasNext()) {
                docs.add(it.next());
            }
        }
        return docs;
    }

    private static JsonNode policy(List<JsonNode> docs, String name) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().endsWith("AdmissionPolicy")
                        && d.at("/metadata/name").asText().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static JsonNode last(JsonNode array) {
        return array.get(array.size() - 1);
    }
}
