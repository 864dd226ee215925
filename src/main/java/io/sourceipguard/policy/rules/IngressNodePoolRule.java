package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Metadata;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Ingress controller workloads are pinned to the ingress node pool with a nodeSelector, so the
 * entry point lives in one subnet that NSGs and the firewall can name. Other selector entries
 * are kept; a selector or required node affinity that points elsewhere is corrected, with a warning.
 * It pins only to a pool that exists: with no node carrying the pool label, or while the Nodes
 * cannot be read, the workload is admitted unchanged with a warning, because pinned pods would
 * stay Pending; the pool nodes' own NoSchedule/NoExecute taints are tolerated, so pinned pods can
 * schedule there. A workload whose controller reconciles it (Envoy Gateway, Istio, a Helm release,
 * an owner reference) is admitted unchanged with a warning naming the source to set instead, and
 * Cilium's per-node Envoy, which cannot be pinned, is reported rather than patched.
 */
public final class IngressNodePoolRule implements Rule {

    public static final String ID = "ingress-node-pool";

    private static final String POD_SPEC = "/spec/template/spec";
    private static final String TERMS =
            POD_SPEC + "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    // Cilium's Envoy DaemonSet (install/kubernetes/cilium/templates/cilium-envoy/daemonset.yaml).
    private static final String PER_NODE_PROXY = "cilium-envoy";
    private static final String NAME_LABEL = "app.kubernetes.io/name";

    private final IngressPoolSettings settings;
    private final String pool;

    public IngressNodePoolRule(IngressPoolSettings settings) {
        this.settings = settings;
        this.pool = settings.poolLabelKey() + "=" + settings.poolLabelValue();
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Phase phase() {
        return Phase.MUTATING;
    }

    @Override
    public boolean appliesTo(AdmissionSubject subject) {
        return (subject.is("apps", "Deployment")
                        || subject.is("apps", "DaemonSet")
                        || subject.is("apps", "StatefulSet"))
                && (subject.operation() == Operation.CREATE || subject.operation() == Operation.UPDATE);
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        JsonNode workload = subject.object();
        if (settings.selectors().stream().noneMatch(s -> s.matches(workload))) {
            return Finding.skip(ID, "not recognised as an ingress controller");
        }
        JsonNode podSpec = workload.path("spec").path("template").path("spec");
        if (!podSpec.isObject()) {
            return Finding.skip(ID, "no pod template to pin");
        }
        IngressPool found = IngressPool.of(settings, cluster);
        List<PatchOperation> patch = new ArrayList<>();
        List<String> actions = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        pinNodeSelector(podSpec, patch, actions, notes);
        correctAffinity(podSpec, patch, notes);
        List<IngressPoolSettings.Toleration> wanted = new ArrayList<>(found.taints());
        settings.toleration().ifPresent(wanted::add);
        tolerate(podSpec, wanted, patch, actions);
        if (patch.isEmpty()) {
            return Finding.pass(ID);
        }
        if (actions.isEmpty()) {
            actions.add("keep pods on the " + pool + " pool");
        }
        if (PER_NODE_PROXY.equals(Metadata.label(workload, NAME_LABEL))) {
            return Finding.warn(
                    ID,
                    "left unpinned: " + PER_NODE_PROXY + " runs one Envoy on every node, which serves"
                            + " that node's Gateway traffic, so it cannot be pinned; keep traffic on the pool with the Gateway"
                            + " Service instead (CiliumGatewayClassConfig spec.service.externalTrafficPolicy: Local)");
        }
        Optional<String> owner = ReconcilingOwner.steer(workload, ReconcilingOwner.Field.NODE_SELECTOR);
        if (owner.isPresent()) {
            return Finding.warn(ID, "left unpinned: " + owner.get() + " (would " + String.join(", ", actions) + ")");
        }
        if (found.withheld() != null) {
            // Pinning to a pool no node carries leaves every new pod Pending: admit unchanged.
            return Finding.warn(
                    ID, "left unpinned: " + found.withheld() + " (would " + String.join(", ", actions) + ")");
        }
        Finding finding = Finding.mutate(ID, String.join(", ", actions), patch);
        for (String note : notes) {
            finding = finding.withNote(note);
        }
        if (found.note() != null) {
            finding = finding.withNote(found.note());
        }
        Optional<String> helm = ReconcilingOwner.helmValue(workload, ReconcilingOwner.Field.NODE_SELECTOR);
        if (helm.isPresent()) {
            finding = finding.withNote(helm.get());
        }
        return finding;
    }

    private void pinNodeSelector(
            JsonNode podSpec, List<PatchOperation> patch, List<String> actions, List<String> notes) {
        String key = settings.poolLabelKey();
        TextNode value = TextNode.valueOf(settings.poolLabelValue());
        JsonNode selector = podSpec.get("nodeSelector");
        if (selector == null || !selector.isObject()) {
            ObjectNode fresh = JSON.objectNode();
            fresh.set(key, value);
            patch.add(PatchOperation.add(POD_SPEC + "/nodeSelector", fresh));
            actions.add("set spec.template.spec.nodeSelector " + pool);
            return;
        }
        JsonNode current = selector.get(key);
        String path = POD_SPEC + "/nodeSelector/" + PatchOperation.escape(key);
        if (current == null) {
            patch.add(PatchOperation.add(path, value));
            actions.add("add nodeSelector " + pool);
        } else if (!settings.poolLabelValue().equals(current.asText())) {
            patch.add(PatchOperation.replace(path, value));
            actions.add("set nodeSelector " + pool);
            notes.add("corrected nodeSelector " + key + "=" + current.asText() + " to the ingress pool " + pool);
        }
    }

    // Required node affinity terms are ORed; when none of them admits the pool, the pods could
    // never schedule beside the nodeSelector, so each expression that excludes it is rewritten.
    private void correctAffinity(JsonNode podSpec, List<PatchOperation> patch, List<String> notes) {
        JsonNode terms = podSpec.path("affinity")
                .path("nodeAffinity")
                .path("requiredDuringSchedulingIgnoredDuringExecution")
                .path("nodeSelectorTerms");
        if (!terms.isArray() || terms.isEmpty()) {
            return;
        }
        List<PatchOperation> fixes = new ArrayList<>();
        for (int t = 0; t < terms.size(); t++) {
            JsonNode expressions = terms.get(t).path("matchExpressions");
            boolean admits = true;
            for (int e = 0; e < expressions.size(); e++) {
                JsonNode expression = expressions.get(e);
                if (settings.poolLabelKey().equals(expression.path("key").asText()) && excludesPool(expression)) {
                    admits = false;
                    fixes.add(PatchOperation.replace(TERMS + "/" + t + "/matchExpressions/" + e, poolExpression()));
                }
            }
            if (admits) {
                return;
            }
        }
        patch.addAll(fixes);
        notes.add("corrected required node affinity that excluded the ingress pool " + pool);
    }

    private boolean excludesPool(JsonNode expression) {
        String operator = expression.path("operator").asText();
        boolean listed = false;
        for (JsonNode v : expression.path("values")) {
            listed |= settings.poolLabelValue().equals(v.asText());
        }
        return switch (operator) {
            case "In" -> !listed;
            case "NotIn" -> listed;
            case "DoesNotExist" -> true;
            case "Gt", "Lt" ->
                !comparesTrue(operator, expression.path("values").path(0).asText());
            default -> false;
        };
    }

    private boolean comparesTrue(String operator, String bound) {
        try {
            long node = Long.parseLong(settings.poolLabelValue());
            long limit = Long.parseLong(bound);
            return "Gt".equals(operator) ? node > limit : node < limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private ObjectNode poolExpression() {
        ObjectNode expression = JSON.objectNode();
        expression.put("key", settings.poolLabelKey());
        expression.put("operator", "In");
        expression.putArray("values").add(settings.poolLabelValue());
        return expression;
    }

    private static void tolerate(
            JsonNode podSpec,
            List<IngressPoolSettings.Toleration> wanted,
            List<PatchOperation> patch,
            List<String> actions) {
        JsonNode tolerations = podSpec.get("tolerations");
        boolean exists = tolerations != null && tolerations.isArray();
        ArrayNode added = JSON.arrayNode();
        for (IngressPoolSettings.Toleration taint : wanted) {
            boolean tolerated = false;
            for (JsonNode existing : exists ? tolerations : JSON.arrayNode()) {
                tolerated |= tolerates(existing, taint);
            }
            for (JsonNode mine : added) {
                tolerated |= tolerates(mine, taint);
            }
            if (tolerated) {
                continue;
            }
            ObjectNode toleration = JSON.objectNode();
            toleration.put("key", taint.key());
            if (taint.value().isEmpty()) {
                toleration.put("operator", "Exists");
            } else {
                toleration.put("operator", "Equal");
                toleration.put("value", taint.value());
            }
            if (!taint.effect().isEmpty()) {
                toleration.put("effect", taint.effect());
            }
            added.add(toleration);
            if (exists) {
                patch.add(PatchOperation.add(POD_SPEC + "/tolerations/-", toleration));
            }
            actions.add("tolerate the " + taint.key() + " taint");
        }
        if (!exists && !added.isEmpty()) {
            patch.add(PatchOperation.add(POD_SPEC + "/tolerations", added));
        }
    }

    // Kubernetes' own matching: an empty key with Exists tolerates everything; an empty effect all effects.
    static boolean tolerates(JsonNode existing, IngressPoolSettings.Toleration wanted) {
        String key = existing.path("key").asText("");
        String operator = existing.path("operator").asText("Equal");
        String effect = existing.path("effect").asText("");
        boolean keyOk = key.isEmpty() ? "Exists".equals(operator) : key.equals(wanted.key());
        boolean valueOk =
                "Exists".equals(operator) || existing.path("value").asText("").equals(wanted.value());
        boolean effectOk = effect.isEmpty() || effect.equals(wanted.effect());
        return keyOk && valueOk && effectOk;
    }
}
