package io.sourceipguard.policies;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.ExemptionSettings;
import io.sourceipguard.policy.Keys;
import io.sourceipguard.policy.Mode;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.RuleModes;
import io.sourceipguard.policy.rules.IngressNodePoolRule;
import io.sourceipguard.policy.rules.IngressPoolSettings;
import io.sourceipguard.policy.rules.PolicySettings;
import io.sourceipguard.policy.rules.RuleSet;
import io.sourceipguard.policy.rules.ServiceExternalTrafficPolicyRule;
import io.sourceipguard.policy.rules.WorkloadSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The rules that CEL can express, written as admission policies for the API server to run in-process:
 * each mutating rule as a MutatingAdmissionPolicy (and a ValidatingAdmissionPolicy that warns where the
 * rule is in audit mode), the exemption guard as a ValidatingAdmissionPolicy, each with its binding.
 * Built from the same settings, modes and exemption settings as the engine, so that both installs agree:
 * the matchConditions carry the rule's own test, the exemption labels, the namespace mode and the
 * platform identities; the mutations are the JSON Patch operations the rule writes.
 */
public final class AdmissionPolicies {

    static final String API_VERSION = "admissionregistration.k8s.io/v1";
    static final String PREFIX = "sourceip-guard-";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final PolicySettings settings;
    private final RuleModes modes;
    private final ExemptionSettings who;
    private final Cel cel = new Cel(RuleSet.ids());

    public AdmissionPolicies(PolicySettings settings, RuleModes modes, ExemptionSettings who) {
        this.settings = settings;
        this.modes = modes;
        this.who = who;
    }

    /** One mutating rule: what it looks at, when an object is out of line, the patch, and what audit says. */
    private record MutatingRule(
            String id, ArrayNode resources, List<Condition> outOfLine, String patch, String would) {}

    private record Condition(String name, String expression) {}

    /** The MutatingAdmissionPolicies and their bindings (none for a rule that is off). */
    public List<ObjectNode> mutating() {
        List<ObjectNode> objects = new ArrayList<>();
        for (MutatingRule rule : mutatingRules()) {
            String name = PREFIX + rule.id();
            ObjectNode spec = spec(rule.resources(), conditions(rule), "Ignore");
            spec.set("variables", wrappers(rule, Mode.ENFORCE));
            spec.put("reinvocationPolicy", "IfNeeded");
            ObjectNode mutation = spec.putArray("mutations").addObject();
            mutation.put("patchType", "JSONPatch");
            mutation.putObject("jsonPatch")
                    .put("expression", "variables.exempted || !variables.enforced ? [] :\n" + rule.patch());
            objects.add(object("MutatingAdmissionPolicy", name, spec));
            ObjectNode binding = JSON.objectNode().put("policyName", name);
            objects.add(object("MutatingAdmissionPolicyBinding", name, binding));
        }
        return objects;
    }

    /** The exemption guard, and per mutating rule the audit-mode warning, as ValidatingAdmissionPolicies and bindings. */
    public List<ObjectNode> validating() {
        List<ObjectNode> objects = new ArrayList<>();
        String guard = PREFIX + "exemptions";
        objects.add(object("ValidatingAdmissionPolicy", guard, guard()));
        objects.add(binding(guard, "Deny"));
        for (MutatingRule rule : mutatingRules()) {
            String name = PREFIX + rule.id() + "-audit";
            ObjectNode spec = spec(rule.resources(), conditions(rule), "Ignore");
            spec.set("variables", wrappers(rule, Mode.AUDIT));
            ObjectNode validation = spec.putArray("validations").addObject();
            validation.put("expression", "variables.exempted || !variables.audited");
            validation.put("message", "sourceip-guard: [" + rule.id() + "] would " + rule.would() + " (audit mode)");
            objects.add(object("ValidatingAdmissionPolicy", name, spec));
            objects.add(binding(name, "Warn", "Audit"));
        }
        return objects;
    }

    private List<MutatingRule> mutatingRules() {
        List<MutatingRule> rules = new ArrayList<>();
        if (modes.of(ServiceExternalTrafficPolicyRule.ID) != Mode.OFF) {
            rules.add(serviceRule());
        }
        if (modes.of(IngressNodePoolRule.ID) != Mode.OFF) {
            rules.add(ingressRule());
        }
        return rules;
    }

    // The objects the webhook leaves to their controller (policy/rules/ReconcilingOwner): a controller that writes the
    // field back would loop against the patch. Helm is no such controller, and its objects are patched.
    private static final Condition NOT_RECONCILED = new Condition(
            "not-reconciled",
            "!("
                    + "object.metadata.?labels[?'app.kubernetes.io/managed-by'].orValue('') == 'envoy-gateway'"
                    + " || object.metadata.?labels[?'gateway.envoyproxy.io/owning-gateway-name'].hasValue()"
                    + " || object.metadata.?labels[?'gateway.istio.io/managed'].hasValue()"
                    + " || object.metadata.?labels[?'io.cilium.gateway/owning-gateway'].hasValue()"
                    + " || object.metadata.?labels[?'gateway.networking.k8s.io/gateway-name'].hasValue()"
                    + " || object.metadata.?annotations[?'gateway.networking.k8s.io/gateway-name'].hasValue()"
                    + " || object.metadata.?ownerReferences.orValue([]).exists(o, o.?controller.orValue(false)))");

    private MutatingRule serviceRule() {
        List<String> types =
                settings.serviceIncludeNodePort() ? List.of("LoadBalancer", "NodePort") : List.of("LoadBalancer");
        List<Condition> outOfLine = List.of(
                new Condition("exposed", "object.spec.?type.orValue('ClusterIP') in " + Cel.list(types)),
                // unset means Cluster; any value but Cluster and Local the API server refuses on its own
                new Condition("not-local", "object.spec.?externalTrafficPolicy.orValue('Cluster') == 'Cluster'"),
                NOT_RECONCILED);
        String patch = "[JSONPatch{op: 'add', path: '/spec/externalTrafficPolicy', value: 'Local'}]";
        return new MutatingRule(
                ServiceExternalTrafficPolicyRule.ID,
                resources("", "services"),
                outOfLine,
                patch,
                "set spec.externalTrafficPolicy=Local");
    }

    private MutatingRule ingressRule() {
        IngressPoolSettings pool = settings.ingressPool();
        String key = Cel.lit(pool.poolLabelKey());
        String value = Cel.lit(pool.poolLabelValue());
        String recognised =
                pool.selectors().stream().map(AdmissionPolicies::recognises).collect(Collectors.joining("\n|| "));
        List<Condition> outOfLine = List.of(
                new Condition("ingress-controller", recognised),
                new Condition(
                        "not-pinned",
                        "object.spec.?template.?spec.?nodeSelector[?" + key + "].orValue('') != " + value),
                NOT_RECONCILED,
                // one Envoy per node (Cilium): cannot be pinned, as the webhook reports
                new Condition(
                        "not-per-node",
                        "object.metadata.?labels[?'app.kubernetes.io/name'].orValue('') != 'cilium-envoy'"));
        String selector = "/spec/template/spec/nodeSelector";
        String patch = "object.spec.?template.?spec.?nodeSelector.hasValue()\n"
                + "  ? [JSONPatch{op: 'add', path: "
                + Cel.lit(selector + "/" + PatchOperation.escape(pool.poolLabelKey()))
                + ", value: " + value + "}]\n"
                + "  : [JSONPatch{op: 'add', path: " + Cel.lit(selector) + ", value: {" + key + ": " + value + "}}]";
        return new MutatingRule(
                IngressNodePoolRule.ID,
                resources("apps", "deployments", "daemonsets", "statefulsets"),
                outOfLine,
                patch,
                "set spec.template.spec.nodeSelector " + pool.poolLabelKey() + "=" + pool.poolLabelValue());
    }

    // One selector: every label term on the workload's labels or on its pod template's, and every image term.
    private static String recognises(WorkloadSelector selector) {
        List<String> terms = new ArrayList<>();
        if (!selector.labels().isEmpty() || !selector.keys().isEmpty()) {
            terms.add("(" + labelsMatch("object", selector) + " || "
                    + labelsMatch("object.spec.?template.?metadata", selector) + ")");
        }
        for (String key : selector.annotations()) {
            terms.add("(object.metadata.?annotations[?" + Cel.lit(key) + "].hasValue() || "
                    + "object.spec.?template.?metadata.?annotations[?" + Cel.lit(key) + "].hasValue())");
        }
        for (String image : selector.images()) {
            String contains = "c.?image.orValue('').contains(" + Cel.lit(image) + ")";
            terms.add("(object.spec.?template.?spec.?containers.orValue([]).exists(c, " + contains + ") || "
                    + "object.spec.?template.?spec.?initContainers.orValue([]).exists(c, " + contains + "))");
        }
        return "(" + String.join(" && ", terms) + ")";
    }

    // Every label term (key=value) and bare key (the label exists) of one selector, on one label map.
    private static String labelsMatch(String object, WorkloadSelector selector) {
        String metadata = object.equals("object") ? "object.metadata" : object;
        List<String> terms = new ArrayList<>();
        selector.keys().forEach(k -> terms.add(metadata + ".?labels[?" + Cel.lit(k) + "].hasValue()"));
        selector.labels()
                .forEach((k, v) -> terms.add(metadata + ".?labels[?" + Cel.lit(k) + "].orValue('') == " + Cel.lit(v)));
        return "(" + String.join(" && ", terms) + ")";
    }

    // The rule's own test, and the platform identities, which bypass every rule.
    private ArrayNode conditions(MutatingRule rule) {
        List<Condition> all = new ArrayList<>(rule.outOfLine());
        systemIdentity().ifPresent(all::add);
        ArrayNode conditions = JSON.arrayNode();
        for (Condition condition : all) {
            conditions.addObject().put("name", condition.name()).put("expression", condition.expression());
        }
        return conditions;
    }

    // What the engine wraps around a rule and needs the namespace for: exemptions and the namespace mode. These
    // are variables, not matchConditions, because the API server gives matchConditions no namespaceObject.
    private ArrayNode wrappers(MutatingRule rule, Mode wanted) {
        ArrayNode variables = JSON.arrayNode();
        variable(variables, "exempted", cel.exempted(rule.id()));
        // The namespace label overrides a configured enforce or audit; off stays off.
        Mode configured = modes.of(rule.id());
        Mode other = configured == Mode.ENFORCE ? Mode.AUDIT : Mode.ENFORCE;
        String switched = cel.namespaceSays(rule.id(), other.label());
        variable(
                variables,
                wanted == Mode.ENFORCE ? "enforced" : "audited",
                wanted == configured ? "!" + switched : switched);
        return variables;
    }

    private java.util.Optional<Condition> systemIdentity() {
        if (who.systemUsers().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Condition(
                "not-a-platform-identity", "!(request.userInfo.username in " + Cel.list(who.systemUsers()) + ")"));
    }

    // Only cluster admins grant exemptions and namespace modes; only sourceip-guard writes the stamps.
    private ObjectNode guard() {
        ArrayNode resources = resources("", "services", "services/status");
        resources.addAll(resources(
                "apps",
                "deployments",
                "daemonsets",
                "statefulsets",
                "deployments/status",
                "daemonsets/status",
                "statefulsets/status"));
        resources.addAll(resources("", "namespaces", "namespaces/status", "namespaces/finalize"));
        ArrayNode conditions = JSON.arrayNode();
        systemIdentity()
                .ifPresent(c -> conditions.addObject().put("name", c.name()).put("expression", c.expression()));
        ObjectNode spec = spec(resources, conditions, "Fail");
        ArrayNode variables = spec.putArray("variables");
        List<String> admin = new ArrayList<>();
        if (!who.adminUsers().isEmpty()) {
            admin.add("request.userInfo.username in " + Cel.list(who.adminUsers()));
        }
        admin.add("request.userInfo.?groups.orValue([]).exists(g, g in " + Cel.list(who.adminGroups()) + ")");
        variable(variables, "admin", String.join(" || ", admin));
        labelVariables(variables, "exempt", Keys.EXEMPT);
        labelVariables(variables, "mode", Keys.MODE);
        variable(
                variables,
                "exemptGrant",
                "variables.exemptSet && (!variables.oldExemptSet || variables.exempt != variables.oldExempt)");
        variable(
                variables,
                "modeChange",
                "request.kind.kind == 'Namespace' && variables.modeSet"
                        + " && (!variables.oldModeSet || variables.mode != variables.oldMode)");
        variable(
                variables,
                "modeGrant",
                "variables.modeChange && " + cel.validMode("variables.mode")
                        + " && !variables.mode.matches('^(?i:enforce)([._]|$)')");
        List<String> stamps = new ArrayList<>();
        for (String key : List.of(Keys.EXEMPTED_BY, Keys.EXEMPTED_AT)) {
            String k = Cel.lit(key);
            stamps.add("(object.metadata.?annotations[?" + k + "].hasValue() && (oldObject == null"
                    + " || !oldObject.metadata.?annotations[?" + k + "].hasValue()"
                    + " || oldObject.metadata.annotations[" + k + "] != object.metadata.annotations[" + k + "]))");
        }
        variable(variables, "stampWritten", String.join(" || ", stamps));

        String rules = String.join(", ", RuleSet.ids());
        ArrayNode validations = spec.putArray("validations");
        validation(
                validations,
                "!variables.exemptGrant || " + cel.validSelection("variables.exempt"),
                "'[exemption] label " + Keys.EXEMPT
                        + "=' + variables.exempt + ' names no rule; use all, or rule ids separated by \\'.\\': " + rules
                        + "'");
        validation(
                validations,
                "!variables.modeChange || " + cel.validMode("variables.mode"),
                "'[exemption] label " + Keys.MODE
                        + "=' + variables.mode + ' is not a namespace mode; use enforce, audit, or"
                        + " audit.<rule>.<rule> with rules " + rules + "'");
        validation(
                validations,
                "!(variables.exemptGrant || variables.modeGrant) || variables.admin",
                "'[exemption] only a cluster admin may grant an exemption, and ' + request.userInfo.username + ' is none: label '"
                        + " + (variables.exemptGrant ? '" + Keys.EXEMPT + "=' + variables.exempt : '" + Keys.MODE
                        + "=' + variables.mode)"
                        + " + ' is refused. Remove the label, or ask a cluster admin to set it.'");
        validation(
                validations,
                "!variables.stampWritten || variables.admin",
                "'[exemption] annotations " + Keys.EXEMPTED_BY + " and " + Keys.EXEMPTED_AT
                        + " record a cluster admin\\'s grant; nobody else may write them: remove them.'");
        return spec;
    }

    // NAMESet, NAME (the value, '' when unset), and the same of the old object.
    private static void labelVariables(ArrayNode variables, String name, String key) {
        String old = "old" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        variable(variables, name + "Set", "object.metadata.?labels[?" + Cel.lit(key) + "].hasValue()");
        variable(variables, name, Cel.label("object", key));
        variable(
                variables,
                old + "Set",
                "oldObject != null && oldObject.metadata.?labels[?" + Cel.lit(key) + "].hasValue()");
        variable(variables, old, "oldObject == null ? '' : " + Cel.label("oldObject", key));
    }

    private static void variable(ArrayNode variables, String name, String expression) {
        variables.addObject().put("name", name).put("expression", expression);
    }

    private static void validation(ArrayNode validations, String expression, String messageExpression) {
        validations
                .addObject()
                .put("expression", expression)
                .put("messageExpression", messageExpression)
                .put("reason", "Forbidden");
    }

    private static ObjectNode spec(ArrayNode resources, ArrayNode conditions, String failurePolicy) {
        ObjectNode spec = JSON.objectNode();
        spec.put("failurePolicy", failurePolicy);
        spec.putObject("matchConstraints").set("resourceRules", resources);
        if (!conditions.isEmpty()) {
            spec.set("matchConditions", conditions);
        }
        return spec;
    }

    private static ArrayNode resources(String group, String... resources) {
        ArrayNode rules = JSON.arrayNode();
        ObjectNode rule = rules.addObject();
        rule.putArray("apiGroups").add(group);
        rule.putArray("apiVersions").add("v1");
        ArrayNode names = rule.putArray("resources");
        for (String resource : resources) {
            names.add(resource);
        }
        rule.putArray("operations").add("CREATE").add("UPDATE");
        return rules;
    }

    private static ObjectNode binding(String policy, String... actions) {
        ObjectNode spec = JSON.objectNode().put("policyName", policy);
        ArrayNode list = spec.putArray("validationActions");
        for (String action : actions) {
            list.add(action);
        }
        return object("ValidatingAdmissionPolicyBinding", policy, spec);
    }

    private static ObjectNode object(String kind, String name, ObjectNode spec) {
        ObjectNode object = JSON.objectNode();
        object.put("apiVersion", API_VERSION);
        object.put("kind", kind);
        ObjectNode metadata = object.putObject("metadata");
        metadata.put("name", name);
        metadata.putObject("labels").put("app.kubernetes.io/name", "sourceip-guard");
        object.set("spec", spec);
        return object;
    }
}
