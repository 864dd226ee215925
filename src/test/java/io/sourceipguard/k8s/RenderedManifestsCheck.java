package io.sourceipguard.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * What k8s/README.md promises of each overlay, checked on the overlays as kubectl kustomize renders them. k8s/check.sh
 * renders them into a folder and runs this class on it ({@code -Dsourceip-guard.manifests=DIR}): the rendering needs
 * kubectl, which make test does not, so this class is not named like the tests make test runs. One dynamic test per
 * check, named "overlay: what is promised".
 */
class RenderedManifestsCheck {

    private static final List<String> OVERLAYS =
            List.of("self-signed", "cert-manager", "audit", "legacy", "local", "admission-policies");
    private static final String MASQ_NAMES = "request.name in ['azure-ip-masq-agent-config'";

    private final List<DynamicTest> checks = new ArrayList<>();

    @TestFactory
    List<DynamicTest> renderedOverlays() throws IOException {
        String dir = System.getProperty("sourceip-guard.manifests");
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("set -Dsourceip-guard.manifests=DIR, a folder of OVERLAY.yaml files"
                    + " rendered by kubectl kustomize; k8s/check.sh renders them and runs this class");
        }
        Map<String, List<JsonNode>> rendered = new LinkedHashMap<>();
        for (String o : OVERLAYS) {
            rendered.put(o, read(Path.of(dir, o + ".yaml")));
        }
        String jvmFlags = jvmFlags(Path.of("src/main/jvm/server.options"));

        for (String o : List.of("self-signed", "cert-manager", "audit", "legacy")) {
            List<JsonNode> docs = rendered.get(o);
            boolean legacy = o.equals("legacy");
            int webhooks = legacy ? 10 : 11;
            String javaToolOptions = env(docs, "JAVA_TOOL_OPTIONS");
            check(o, "JAVA_TOOL_OPTIONS is the flags of src/main/jvm/server.options", jvmFlags, javaToolOptions);
            expect(o, 1, kind(docs, "MutatingWebhookConfiguration"), "one MutatingWebhookConfiguration");
            expect(o, 1, kind(docs, "ValidatingWebhookConfiguration"), "one ValidatingWebhookConfiguration");
            expect(o, 2, kind(docs, "CustomResourceDefinition"), "the two PolicyReport CRDs");
            // legacy drops the stamps webhook (without its CEL filter it would receive every write)
            expect(o, webhooks, webhooks(docs).count(), "every webhook");
            expect(
                    o,
                    webhooks,
                    webhooks(
                            docs,
                            w -> w.path("admissionReviewVersions").toString().equals("[\"v1\"]")),
                    "admissionReviewVersions [v1] on each");
            expect(
                    o,
                    webhooks,
                    webhooks(docs, w -> w.path("sideEffects").asText().equals("None")),
                    "sideEffects None on each");
            expect(o, webhooks, webhooks(docs, w -> w.path("timeoutSeconds").asInt() == 5), "timeoutSeconds 5 on each");
            expect(
                    o,
                    6,
                    webhooks(docs, w -> w.path("failurePolicy").asText().equals("Ignore")),
                    "failurePolicy Ignore on the five mutating webhooks and the allow-list warnings");
            expect(
                    o,
                    5,
                    webhooks(
                            docs,
                            "MutatingWebhookConfiguration",
                            w -> w.path("failurePolicy").asText().equals("Ignore")),
                    "... all five mutating");
            expect(
                    o,
                    webhooks - 6,
                    webhooks(
                            docs,
                            "ValidatingWebhookConfiguration",
                            w -> w.path("failurePolicy").asText().equals("Fail")),
                    "failurePolicy Fail on the masq, exemption and stamps webhooks");
            expect(
                    o,
                    5,
                    webhooks(docs, w -> w.path("reinvocationPolicy").asText().equals("IfNeeded")),
                    "reinvocationPolicy IfNeeded on the mutating webhooks");
            expect(
                    o,
                    2,
                    objects(
                            docs,
                            d -> d.path("kind").asText().endsWith("WebhookConfiguration")
                                    && d.at("/metadata/labels/admissions.enforcer~1disabled")
                                            .asText()
                                            .equals("true")
                                    && d.at("/metadata/annotations/admissions.enforcer~1disabled")
                                            .asText()
                                            .equals("true")),
                    "AKS Admissions Enforcer opt-out, label and annotation, on both configurations");
        }

        for (String o : List.of("self-signed", "cert-manager", "audit", "local")) {
            List<JsonNode> docs = rendered.get(o);
            expect(
                    o,
                    11,
                    webhooks(docs, w -> !w.path("matchConditions").isEmpty()),
                    "matchConditions on every webhook");
            expect(
                    o,
                    1,
                    matchConditions(docs, c -> c.path("expression").asText().contains(MASQ_NAMES)),
                    "matchConditions name the ip-masq-agent ConfigMaps");
            expect(
                    o,
                    9,
                    matchConditions(docs, c -> c.path("name").asText().equals("not-the-webhook-itself")),
                    "only the webhook itself is left out, by name");
            expect(o, 0, fields(docs, "operator", "NotIn"), "no webhook leaves out a whole namespace");
            expect(
                    o,
                    1,
                    matchConditions(docs, c -> c.path("name").asText().equals("stamp-written")),
                    "stamp writes reach the guard, labelled or not");
            expect(o, 3, ruleResources(docs, "namespaces/finalize"), "Namespace subresources reach the guard");
            expect(o, 2, ruleResources(docs, "services/status"), "Service status writes reach the guard");
        }
        expect("legacy", 0, text(rendered.get("legacy"), "matchConditions"), "no matchConditions");
        // Istio's Gateway ConfigMaps reach gateway-config only through its matchConditions: legacy drops that rule.
        for (String o : List.of("self-signed", "cert-manager", "audit", "local", "admission-policies")) {
            List<JsonNode> docs = rendered.get(o);
            expect(o, 3, ruleResources(docs, "configmaps"), "ConfigMaps for masq, the guard and gateway-config");
            expect(
                    o,
                    1,
                    matchConditions(docs, c -> c.path("name").asText().equals("istio-gateway-overlays")),
                    "... gateway-config only those holding an Istio overlay");
        }
        expect(
                "legacy",
                2,
                ruleResources(rendered.get("legacy"), "configmaps"),
                "ConfigMaps for masq and the guard only");
        expect(
                "legacy",
                9,
                fields(rendered.get("legacy"), "operator", "NotIn"),
                "legacy leaves the webhook namespace out instead");

        for (String o : List.of("self-signed", "cert-manager", "audit", "legacy")) {
            List<JsonNode> docs = rendered.get(o);
            int webhooks = o.equals("legacy") ? 10 : 11;
            expect(
                    o,
                    webhooks,
                    webhooks(docs, w -> w.at("/clientConfig/service").isObject()),
                    "every webhook calls the Service");
            expect(
                    o,
                    5,
                    webhooks(
                            docs,
                            "MutatingWebhookConfiguration",
                            w -> w.at("/clientConfig/service/path").asText().equals("/mutate")),
                    "mutating webhooks on /mutate");
            expect(
                    o,
                    webhooks - 5,
                    webhooks(
                            docs,
                            "ValidatingWebhookConfiguration",
                            w -> w.at("/clientConfig/service/path").asText().equals("/validate")),
                    "validating webhooks on /validate");
            expect(o, 0, text(docs, "caBundle"), "no caBundle in the manifests");
            expect(o, 1, kind(docs, "Deployment"), "the Deployment");
            expect(
                    o,
                    1,
                    objects(
                            docs,
                            d -> d.path("kind").asText().equals("Deployment")
                                    && d.at("/spec/replicas").asInt() == 2),
                    "two replicas");
            expect(o, 1, fields(docs, "image", "sourceip-guard:latest"), "image set by the images: transformer");
            expect(o, 1, kind(docs, "PodDisruptionBudget"), "the PodDisruptionBudget");
            onlyMasqRolesInKubeSystem(o, docs);
        }

        List<JsonNode> local = rendered.get("local");
        check(
                "local",
                "only the two webhook configurations and the CRDs",
                List.of(
                        "CustomResourceDefinition",
                        "CustomResourceDefinition",
                        "MutatingWebhookConfiguration",
                        "ValidatingWebhookConfiguration"),
                local.stream().map(d -> d.path("kind").asText()).sorted().toList());
        expect(
                "local",
                0,
                webhooks(local, w -> w.at("/clientConfig/service").isObject()),
                "no webhook calls a Service");
        expect(
                "local",
                5,
                webhooks(local, w -> w.at("/clientConfig/url").asText().equals("https://127.0.0.1:8443/mutate")),
                "mutating webhooks on https://127.0.0.1:8443/mutate");
        expect(
                "local",
                6,
                webhooks(local, w -> w.at("/clientConfig/url").asText().equals("https://127.0.0.1:8443/validate")),
                "validating webhooks on https://127.0.0.1:8443/validate");
        expect(
                "local",
                11,
                webhooks(
                        local, w -> w.at("/clientConfig/caBundle").asText().equals("U09VUkNFSVBfR1VBUkRfQ0FfQlVORExF")),
                "caBundle placeholder on each webhook");

        // admission-policies: the base with the two mutating rules and the guard as admission policies; the webhook
        // keeps masq, gateway-config, allow-lists and the guard on their kinds.
        String ap = "admission-policies";
        List<JsonNode> policies = rendered.get(ap);
        expect(ap, 1, kind(policies, "MutatingWebhookConfiguration"), "one MutatingWebhookConfiguration");
        expect(ap, 1, kind(policies, "ValidatingWebhookConfiguration"), "one ValidatingWebhookConfiguration");
        check(
                ap,
                "... with four webhooks: gateway-config, masq, the guard on the other kinds, allow-lists",
                List.of(
                        "allow-lists.sourceip-guard.io",
                        "exempt.sourceip-guard.io",
                        "gateway-config.sourceip-guard.io",
                        "masq.sourceip-guard.io"),
                webhooks(policies).map(w -> w.path("name").asText()).sorted().toList());
        expect(ap, 0, ruleResources(policies, "services"), "... none for Services (the policies have them)");
        expect(
                ap,
                1,
                matchConditions(policies, c -> c.path("expression").asText().contains(MASQ_NAMES)),
                "... with its matchConditions");
        expect(ap, 4, webhooks(policies, w -> w.at("/clientConfig/service").isObject()), "... calling the Service");
        expect(
                ap,
                2,
                kind(policies, "MutatingAdmissionPolicy"),
                "service-external-traffic-policy and ingress-node-pool as MutatingAdmissionPolicies");
        expect(ap, 2, kind(policies, "MutatingAdmissionPolicyBinding"), "... bound");
        expect(
                ap,
                3,
                kind(policies, "ValidatingAdmissionPolicy"),
                "the exemption guard and the two audit warnings as ValidatingAdmissionPolicies");
        expect(ap, 3, kind(policies, "ValidatingAdmissionPolicyBinding"), "... bound");
        expect(
                ap,
                12,
                objects(policies, d -> d.path("apiVersion").asText().equals("admissionregistration.k8s.io/v1")),
                "policies, bindings and the webhook configurations: admissionregistration.k8s.io/v1");
        expect(ap, 1, kind(policies, "Deployment"), "the Deployment");
        expect(ap, 0, text(policies, "SOURCEIP_GUARD_MODE"), "no mode override (enforce)");
        onlyMasqRolesInKubeSystem(ap, policies);

        List<JsonNode> certManager = rendered.get("cert-manager");
        expect(
                "cert-manager",
                2,
                objects(
                        certManager,
                        d -> d.path("kind").asText().endsWith("WebhookConfiguration")
                                && d.at("/metadata/annotations/cert-manager.io~1inject-ca-from")
                                        .asText()
                                        .equals("sourceip-guard/sourceip-guard-tls")),
                "CA injection on both configurations");
        expect("cert-manager", 2, kind(certManager, "Certificate"), "CA and serving Certificate");
        expect("cert-manager", 2, kind(certManager, "Issuer"), "self-signed and CA Issuer");
        for (String o : List.of("self-signed", "audit", "legacy", "local")) {
            expect(o, 0, text(rendered.get(o), "cert-manager.io"), "nothing from cert-manager");
        }

        check("audit", "SOURCEIP_GUARD_MODE set to audit", "audit", env(rendered.get("audit"), "SOURCEIP_GUARD_MODE"));
        expect("audit", 1, fields(rendered.get("audit"), "name", "SOURCEIP_GUARD_MODE"), "... once");
        for (String o : List.of("self-signed", "cert-manager", "legacy", "local")) {
            expect(o, 0, text(rendered.get(o), "SOURCEIP_GUARD_MODE"), "no mode override (enforce)");
        }
        return checks;
    }

    private void expect(String overlay, long want, long got, String what) {
        checks.add(dynamicTest(overlay + ": " + what, () -> assertEquals(want, got, overlay + ": " + what)));
    }

    private void check(String overlay, String what, Object want, Object got) {
        checks.add(dynamicTest(overlay + ": " + what, () -> assertEquals(want, got, overlay + ": " + what)));
    }

    private void onlyMasqRolesInKubeSystem(String overlay, List<JsonNode> docs) {
        check(
                overlay,
                "nothing in kube-system but the masq ConfigMaps Role and RoleBinding",
                List.of("Role sourceip-guard-masq-configs", "RoleBinding sourceip-guard-masq-configs"),
                docs.stream()
                        .filter(d -> d.at("/metadata/namespace").asText().equals("kube-system"))
                        .map(d -> d.path("kind").asText() + " "
                                + d.at("/metadata/name").asText())
                        .sorted()
                        .toList());
    }

    private static List<JsonNode> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " is missing: k8s/check.sh renders every overlay into that folder");
        }
        try (MappingIterator<JsonNode> it =
                new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            return it.readAll().stream().filter(d -> d != null && !d.isNull()).toList();
        }
    }

    /** The options of the file, without comments, with -Xmx replaced by the heap as half the memory limit. */
    static String jvmFlags(Path options) throws IOException {
        return Files.readAllLines(options).stream()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> !line.isEmpty())
                .map(line -> line.startsWith("-Xmx") ? "-XX:MaxRAMPercentage=50" : line)
                .collect(Collectors.joining(" "));
    }

    private static long kind(List<JsonNode> docs, String kind) {
        return objects(docs, d -> d.path("kind").asText().equals(kind));
    }

    private static long objects(List<JsonNode> docs, Predicate<JsonNode> test) {
        return docs.stream().filter(test).count();
    }

    private static Stream<JsonNode> webhooks(List<JsonNode> docs) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().endsWith("WebhookConfiguration"))
                .flatMap(d -> elements(d.path("webhooks")));
    }

    private static long webhooks(List<JsonNode> docs, Predicate<JsonNode> test) {
        return webhooks(docs).filter(test).count();
    }

    /** How many webhooks of the configurations of this kind pass the test. */
    private static long webhooks(List<JsonNode> docs, String kind, Predicate<JsonNode> test) {
        return webhooks(docs.stream()
                        .filter(d -> d.path("kind").asText().equals(kind))
                        .toList())
                .filter(test)
                .count();
    }

    private static long matchConditions(List<JsonNode> docs, Predicate<JsonNode> test) {
        return webhooks(docs)
                .flatMap(w -> elements(w.path("matchConditions")))
                .filter(test)
                .count();
    }

    /** How many webhook rules list the resource. */
    private static long ruleResources(List<JsonNode> docs, String resource) {
        return webhooks(docs)
                .flatMap(w -> elements(w.path("rules")))
                .flatMap(r -> elements(r.path("resources")))
                .filter(r -> r.asText().equals(resource))
                .count();
    }

    /** The value of the container environment variable in the overlay's Deployment, null when not set. */
    private static String env(List<JsonNode> docs, String name) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().equals("Deployment"))
                .flatMap(d -> elements(d.at("/spec/template/spec/containers")))
                .flatMap(c -> elements(c.path("env")))
                .filter(e -> e.path("name").asText().equals(name))
                .map(e -> e.path("value").asText())
                .findFirst()
                .orElse(null);
    }

    /** How many fields anywhere in the overlay have this name and value. */
    private static long fields(List<JsonNode> docs, String name, String value) {
        return docs.stream().mapToLong(d -> fields(d, name, value)).sum();
    }

    private static long fields(JsonNode node, String name, String value) {
        long found = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(name) && field.getValue().asText().equals(value)) {
                found++;
            }
        }
        for (JsonNode child : node) {
            found += fields(child, name, value);
        }
        return found;
    }

    /** How many field names and values anywhere in the overlay contain the text. */
    private static long text(List<JsonNode> docs, String text) {
        return docs.stream().mapToLong(d -> text(d, text)).sum();
    }

    private static long text(JsonNode node, String text) {
        long found = node.isValueNode() && node.asText().contains(text) ? 1 : 0;
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            found += names.next().contains(text) ? 1 : 0;
        }
        for (JsonNode child : node) {
            found += text(child, text);
        }
        return found;
    }

    private static Stream<JsonNode> elements(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false);
    }
}
