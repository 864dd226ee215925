package io.sourceipguard.policy;

import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decision matrix of modes, exemptions, operations, dry-run and who asks. */
class ExemptionsTest {

    private static final List<String> DEV = List.of("developers", "system:authenticated");
    private static final List<String> ADMIN = List.of("system:masters", "system:authenticated");
    private static final PolicyEngine ENGINE = TestPolicies.engine(
            Map.of("sourceip-guard.exemptions.system-users", "system:serviceaccount:kube-system:addon-manager"));

    private static ObjectNode service(String exempt) {
        ObjectNode service = manifest("traefik-service.yaml");
        if (exempt != null) {
            service.with("metadata").with("labels").put(Keys.EXEMPT, exempt);
        }
        return service;
    }

    private static AdmissionSubject request(
            Operation op, JsonNode object, JsonNode old, String user, List<String> groups, boolean dryRun) {
        AdmissionSubject s = AdmissionSubject.ofObject(object != null ? object : old);
        return new AdmissionSubject(
                op, s.group(), s.kind(), s.namespace(), s.name(), object, old, user, groups, dryRun);
    }

    private static Decision mutate(AdmissionSubject s) {
        return ENGINE.evaluate(s, Fixtures.clusterWith(List.of()), Rule.Phase.MUTATING);
    }

    @ParameterizedTest(name = "{0} by {1}: old={2} new={3} dryRun={4} -> allowed={5}")
    @CsvSource(
            nullValues = "-",
            value = {
                // a developer cannot grant, on create or update, dry-run or not
                "CREATE, dev, -, all, false, false",
                "CREATE, dev, -, all, true, false",
                "UPDATE, dev, -, all, false, false",
                "UPDATE, dev, service-external-traffic-policy, all, false, false",
                // but may keep an existing exemption unchanged, or remove it
                "UPDATE, dev, all, all, false, true",
                "UPDATE, dev, all, -, false, true",
                // an admin may grant
                "CREATE, admin, -, all, false, true",
                "UPDATE, admin, -, service-external-traffic-policy, true, true",
                // nobody may write a label the rules cannot read
                "CREATE, admin, -, no-such-rule, false, false"
            })
    void whoMayExemptAService(
            Operation op, String who, String oldExempt, String newExempt, boolean dryRun, boolean allowed) {
        List<String> groups = "admin".equals(who) ? ADMIN : DEV;
        Decision d = mutate(request(
                op,
                service(newExempt),
                op == Operation.CREATE ? null : service(oldExempt),
                who + "-user",
                groups,
                dryRun));
        assertEquals(allowed, d.allowed(), d.message());
        if (!allowed) {
            assertTrue(d.message().startsWith("[exemption] "), d.message());
            assertTrue(d.patch().isEmpty());
        }
    }

    @Test
    void anAdminGrantIsStampedAndSkipsTheRule() {
        Decision d = mutate(request(Operation.CREATE, service("all"), null, "alice", ADMIN, false));
        assertTrue(d.allowed());
        JsonNode patched = Fixtures.apply(service("all"), d.patch());
        assertEquals(
                "alice",
                patched.at("/metadata/annotations/sourceip-guard.io~1exempted-by")
                        .asText());
        assertTrue(patched.at("/metadata/annotations/sourceip-guard.io~1exempted-at")
                .asText()
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        assertTrue(patched.at("/spec/externalTrafficPolicy").isMissingNode(), "the exempted rule did not patch");
        assertEquals(Outcome.EXEMPT, d.findings().get(0).outcome());
        assertTrue(
                d.warnings().stream().anyMatch(w -> w.contains("[exemption] granted by alice")),
                d.warnings().toString());
        // called again (reinvocation) with the stamps in place: no second stamp
        Decision again = mutate(request(Operation.CREATE, (ObjectNode) patched, null, "alice", ADMIN, false));
        assertTrue(again.patch().isEmpty(), again.patch().toString());
    }

    @Test
    void anExemptedServiceIsAdmittedUnchangedWithWhoGrantedIt() {
        ObjectNode granted = service("service-external-traffic-policy");
        granted.with("metadata").with("annotations").put(Keys.EXEMPTED_BY, "alice");
        Decision d = mutate(request(Operation.UPDATE, granted, granted, "dev-user", DEV, false));
        assertTrue(d.allowed());
        assertTrue(d.patch().isEmpty());
        assertEquals("exempt", d.auditAnnotations().get("service-external-traffic-policy"));
        assertTrue(
                d.warnings().stream()
                        .anyMatch(w -> w.contains("skipped: exempted by label sourceip-guard.io/exempt="
                                + "service-external-traffic-policy, granted by alice")),
                d.warnings().toString());
    }

    @Test
    void stampsWrittenByAnyoneElseAreRefused() {
        ObjectNode forged = service(null);
        forged.with("metadata").with("annotations").put(Keys.EXEMPTED_BY, "alice");
        Decision d = mutate(request(Operation.UPDATE, forged, service(null), "dev-user", DEV, false));
        assertFalse(d.allowed());
        assertTrue(d.message().contains("written by sourceip-guard"), d.message());
        // the validating phase refuses it too
        assertFalse(ENGINE.evaluate(
                        request(Operation.UPDATE, forged, service(null), "dev-user", DEV, false),
                        Fixtures.clusterWith(List.of()),
                        Rule.Phase.VALIDATING)
                .allowed());
    }

    private static ObjectNode namespace(String label, String value) {
        ObjectNode ns = Fixtures.JSON.createObjectNode();
        ns.put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", "team-a");
        if (label != null) {
            ns.with("metadata").putObject("labels").put(label, value);
        }
        return ns;
    }

    @ParameterizedTest(name = "namespace {0}={1} by {2} -> allowed={3}")
    @CsvSource({
        "sourceip-guard.io/mode, audit, dev, false",
        "sourceip-guard.io/mode, audit.masquerade-config, dev, false",
        "sourceip-guard.io/mode, enforce, dev, true",
        "sourceip-guard.io/mode, audit, admin, true",
        "sourceip-guard.io/mode, loud, admin, false",
        "sourceip-guard.io/exempt, all, dev, false",
        "sourceip-guard.io/exempt, all, admin, true"
    })
    void namespaceLabelsAreAnAdminsAct(String label, String value, String who, boolean allowed) {
        Decision d = ENGINE.evaluate(
                request(
                        Operation.UPDATE,
                        namespace(label, value),
                        namespace(null, null),
                        who,
                        "admin".equals(who) ? ADMIN : DEV,
                        false),
                Fixtures.clusterWith(List.of()),
                Rule.Phase.VALIDATING);
        assertEquals(allowed, d.allowed(), d.message());
    }

    @Test
    void removingANamespaceModeIsAlwaysAllowed() {
        Decision d = ENGINE.evaluate(
                request(Operation.UPDATE, namespace(null, null), namespace(Keys.MODE, "audit"), "dev", DEV, false),
                Fixtures.clusterWith(List.of()),
                Rule.Phase.VALIDATING);
        assertTrue(d.allowed());
    }

    @ParameterizedTest(name = "namespace labels {0}={1} -> patched={2} audit={3}")
    @CsvSource(
            nullValues = "-",
            value = {
                "-, -, true, mutated",
                "sourceip-guard.io/mode, audit, false, would-mutate",
                "sourceip-guard.io/mode, audit.service-external-traffic-policy, false, would-mutate",
                "sourceip-guard.io/mode, audit.ingress-node-pool, true, mutated",
                "sourceip-guard.io/mode, enforce, true, mutated",
                "sourceip-guard.io/exempt, all, false, exempt",
                "sourceip-guard.io/exempt, ingress-node-pool, true, mutated"
            })
    void namespaceModesAndExemptionsApplyToEverythingInIt(String label, String value, boolean patched, String audit) {
        ObjectNode service = service(null);
        service.with("metadata").put("namespace", "team-a");
        Map<String, ClusterView.NamespaceMeta> namespaces = label == null
                ? Map.of()
                : Map.of(
                        "team-a",
                        new ClusterView.NamespaceMeta(Map.of(label, value), Map.of(Keys.EXEMPTED_BY, "alice")));
        for (boolean dryRun : new boolean[] {false, true}) {
            Decision d = ENGINE.evaluate(
                    request(Operation.CREATE, service, null, "dev", DEV, dryRun),
                    Fixtures.clusterWith(List.of(), namespaces),
                    Rule.Phase.MUTATING);
            assertTrue(d.allowed());
            assertEquals(patched, d.patched(), "dryRun=" + dryRun);
            assertEquals(audit, d.auditAnnotations().get("service-external-traffic-policy"));
        }
    }

    @Test
    void aNamespaceCannotSwitchOnARuleThatIsOff() {
        PolicyEngine engine =
                TestPolicies.engine(Map.of("sourceip-guard.rules.service-external-traffic-policy.mode", "off"));
        ObjectNode service = service(null);
        service.with("metadata").put("namespace", "team-a");
        Decision d = engine.evaluate(
                request(Operation.CREATE, service, null, "dev", DEV, false),
                Fixtures.clusterWith(
                        List.of(),
                        Map.of("team-a", new ClusterView.NamespaceMeta(Map.of(Keys.MODE, "enforce"), Map.of()))),
                Rule.Phase.MUTATING);
        assertFalse(d.patched());
    }

    @Test
    void systemIdentitiesBypassTheRules() {
        ObjectNode cm = manifest("aks-azure-ip-masq-agent-config.yaml");
        Decision d = ENGINE.evaluate(
                request(
                        Operation.UPDATE,
                        cm,
                        cm,
                        "system:serviceaccount:kube-system:addon-manager",
                        List.of("system:serviceaccounts"),
                        false),
                Fixtures.clusterWith(List.of()),
                Rule.Phase.VALIDATING);
        assertTrue(d.allowed());
        assertEquals(
                Set.of(Outcome.EXEMPT),
                Set.copyOf(d.findings().stream().map(Finding::outcome).toList()));
        assertFalse(ENGINE.evaluate(
                        request(Operation.UPDATE, cm, cm, "dev", DEV, false),
                        Fixtures.clusterWith(List.of()),
                        Rule.Phase.VALIDATING)
                .allowed());
    }

    @Test
    void anExemptMasqConfigMayBeDeletedAndTheGrantIsRecordedInTheWarning() {
        ObjectNode cm = manifest("aks-azure-ip-masq-agent-config.yaml");
        cm.with("metadata").with("labels").put(Keys.EXEMPT, "masquerade-config");
        Decision grant = ENGINE.evaluate(
                request(Operation.UPDATE, cm, manifest("aks-azure-ip-masq-agent-config.yaml"), "alice", ADMIN, false),
                Fixtures.clusterWith(List.of()),
                Rule.Phase.VALIDATING);
        assertTrue(grant.allowed(), grant.message());
        assertTrue(grant.patch().isEmpty(), "validating: no stamps");
        assertEquals("alice", grant.auditAnnotations().get("exemption-granted-by"));
        Decision delete = ENGINE.evaluate(
                request(Operation.DELETE, null, cm, "alice", ADMIN, false),
                Fixtures.clusterWith(List.of()),
                Rule.Phase.VALIDATING);
        assertTrue(delete.allowed(), delete.message());
    }

    @Test
    void theReportDoorHasNoRequesterAndSoNoGuard() {
        Decision d = ENGINE.evaluate(AdmissionSubject.ofObject(service("all")), ClusterView.UNAVAILABLE);
        assertTrue(d.allowed());
        assertEquals(Outcome.EXEMPT, d.findings().get(0).outcome());
    }
}
