package io.sourceipguard.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sourceipguard.policy.rules.RuleSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The report command end to end, in process, over the real fixture manifests. */
class ReportCommandTest {

    private static final String FIXTURES = "src/test/resources/fixtures/";

    private record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    private static Run report(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ReportCommand command = new ReportCommand(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = new CommandLine(command).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aDirectoryOfRealManifestsGivesTheExpectedFindings() throws Exception {
        Run run = report("", "-f", FIXTURES + "manifests", "-o", "json");
        assertEquals(1, run.exit(), run.err());
        List<String> actual = new ArrayList<>();
        int rows = 0;
        for (JsonNode r : run.json().path("results")) {
            rows++;
            if (!"skip".equals(r.path("result").asText())) {
                JsonNode res = r.path("resource");
                String ns = res.path("namespace").asText();
                actual.add(String.join(
                        "\t",
                        r.path("rule").asText(),
                        res.path("kind").asText(),
                        (ns.isEmpty() ? "" : ns + "/") + res.path("name").asText(),
                        r.path("result").asText()));
            }
        }
        List<String> expected =
                new ArrayList<>(Files.readAllLines(Path.of(FIXTURES + "report/manifests.expected.tsv")));
        expected.removeIf(line -> line.startsWith("#"));
        assertEquals(new TreeSet<>(expected).toString(), new TreeSet<>(actual).toString());
        assertEquals(expected.size(), actual.size());
        long objects;
        try (var files = Files.list(Path.of(FIXTURES + "manifests"))) {
            objects = files.count();
        }
        assertEquals(objects * RuleSet.ids().size(), rows, "one row per rule and object");
        assertEquals(rows, run.json().path("summary").path("skip").asInt() + actual.size());
    }

    @Test
    void multiDocumentInputOnStdinWithANamespaceExemption() throws Exception {
        Run run = report(Files.readString(Path.of(FIXTURES + "report/multi-document.yaml")), "-f", "-", "-o", "json");
        assertEquals(1, run.exit(), run.err());
        List<String> rows = new ArrayList<>();
        for (JsonNode r : run.json().path("results")) {
            if (r.path("rule").asText().equals("service-external-traffic-policy")
                    && r.path("resource").path("kind").asText().equals("Service")) {
                rows.add(r.path("resource").path("name").asText() + " "
                        + r.path("result").asText() + " " + r.path("message").asText());
            }
        }
        assertEquals(
                List.of(
                        "legacy-lb exempt exempted by namespace legacy-apps label sourceip-guard.io/exempt=service-external-traffic-policy, granted by alice",
                        "public-lb mutate set spec.externalTrafficPolicy=Local (was Cluster)"),
                rows);
        assertTrue(run.out().contains("\"op\" : \"replace\""), "the patch is in the JSON output");
    }

    @Test
    void listsAreUnpackedAndCompliantInputExitsZero() {
        Run run = report(
                "", "-f", FIXTURES + "report/list.json", "-c", "sourceip-guard.rules.ingress-node-pool.mode=off");
        assertEquals(0, run.exit(), run.out() + run.err());
        String table = run.out().replaceAll(" {3,}", " | ");
        assertTrue(table.contains("service-external-traffic-policy | Service | x/a | pass"), table);
        assertTrue(table.contains("ingress-node-pool | Deployment | x/edge | skip | rule is off"), table);
        assertTrue(
                run.out().endsWith("2 objects, 10 findings: 1 pass, 0 mutate, 0 deny, 0 warn, 0 exempt, 9 skip\n"),
                run.out());
    }

    @Test
    void aYamlErrorNamesTheFileAndTheLine() {
        Run run = report("", "-f", FIXTURES + "report/broken.yaml");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("report: " + FIXTURES + "report/broken.yaml:7:"), run.err());
        assertTrue(run.err().contains("not valid YAML or JSON"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, report("").exit());
        assertTrue(report("").err().contains("nothing to report on"));
        assertEquals(2, report("", "-f", "no/such/dir").exit());
        assertEquals(2, report("", "-f", FIXTURES + "manifests", "-o", "xml").exit());
        assertEquals(2, report("", "--no-such-flag").exit());
        Run badConfig = report(
                "",
                "-f",
                FIXTURES + "manifests",
                "-c",
                "sourceip-guard.rules.masquerade-config.protected-cidrs=10.0.0.1/8");
        assertEquals(2, badConfig.exit());
        assertTrue(badConfig.err().contains("protected-cidrs"), badConfig.err());
        Run notObject = report("- just\n- a list\n", "-f", "-");
        assertEquals(2, notObject.exit());
        assertTrue(
                notObject.err().contains("<stdin> (document 1): is a string (\"just\"), not a Kubernetes object"),
                notObject.err());
    }

    @Test
    void markdownAndPolicyReportOutputs() throws Exception {
        Run md = report("", "-f", FIXTURES + "report/multi-document.yaml", "-o", "markdown");
        assertTrue(md.out().startsWith("| rule | kind | namespace/name | result | message |\n| --- |"), md.out());
        Run pr = report("", "-f", FIXTURES + "report/multi-document.yaml", "-o", "policyreport");
        List<JsonNode> docs = new YAMLMapper()
                .readerFor(JsonNode.class)
                .<JsonNode>readValues(pr.out())
                .readAll();
        assertEquals(2, docs.size(), pr.out());
        JsonNode shop = docs.stream()
                .filter(d -> "shop".equals(d.at("/metadata/namespace").asText()))
                .findFirst()
                .orElseThrow();
        assertEquals("wgpolicyk8s.io/v1alpha2", shop.path("apiVersion").asText());
        assertEquals("PolicyReport", shop.path("kind").asText());
        assertEquals(1, shop.at("/summary/fail").asInt());
        assertEquals("fail", shop.at("/results/0/result").asText());
        assertEquals("public-lb", shop.at("/results/0/resources/0/name").asText());
        JsonNode legacy = docs.stream()
                .filter(d -> "legacy-apps".equals(d.at("/metadata/namespace").asText()))
                .findFirst()
                .orElseThrow();
        assertEquals("skip", legacy.at("/results/0/result").asText());
        assertEquals("exempt", legacy.at("/results/0/properties/outcome").asText());
    }

    @Test
    void theCompleteFixIsInTheJsonAndWrittenAsYamlThatPassesWhenReported() throws Exception {
        Path fixed = Files.createTempFile("fixed", ".yaml");
        Run run = report(
                "",
                "-f",
                FIXTURES + "manifests/aks-azure-ip-masq-agent-config.yaml",
                "-f",
                FIXTURES + "manifests/ingress-nginx-controller-deployment.yaml",
                "-o",
                "json",
                "--write-fixed",
                fixed.toString());
        assertEquals(1, run.exit(), run.err());
        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode masq = null;
        for (JsonNode result : json.path("results")) {
            if ("masquerade-config".equals(result.path("rule").asText())
                    && "deny".equals(result.path("result").asText())) {
                masq = result;
            }
        }
        assertTrue(
                masq != null && masq.path("fix").get(0).path("path").asText().equals("/data/ip-masq-agent"), run.out());
        assertTrue(masq.path("notes").toString().contains("cluster facts were not checked"), masq.toString());
        String yaml = Files.readString(fixed);
        assertTrue(
                yaml.contains("name: azure-ip-masq-agent-config") && yaml.contains("name: ingress-nginx-controller"),
                yaml);
        assertTrue(run.err().contains("wrote 2 corrected object(s)"), run.err());
        Run again = report("", "-f", fixed.toString());
        assertEquals(0, again.exit(), again.out() + again.err());
        Files.delete(fixed);
    }
}
