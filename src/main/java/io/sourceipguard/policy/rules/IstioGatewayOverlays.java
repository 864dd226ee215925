package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.GatewayMeta;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Metadata;
import io.sourceipguard.policy.PatchOperation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Istio's Gateway ConfigMaps: its deployment controller renders each Gateway's Service and Deployment from a
 * template, then applies, as strategic merge patches, the YAML overlays held in the {@code data} of two ConfigMaps
 * (istio/istio pilot/pkg/config/kube/gateway/deploymentcontroller.go, {@code render} and {@code applyOverlay}):
 * <ol>
 *   <li>per class: a ConfigMap in Istio's own namespace labelled {@code gateway.istio.io/defaults-for-class: <class>}
 *       (the label key is {@code GatewayClassDefaults} in pilot/pkg/config/kube/gatewaycommon/gateway_utils.go; the
 *       oldest such ConfigMap wins);</li>
 *   <li>per Gateway, applied after the class's: the ConfigMap in the Gateway's namespace that its
 *       {@code spec.infrastructure.parametersRef} names (group {@code ""}, kind {@code ConfigMap}; {@code fetchParameters}).</li>
 * </ol>
 * The keys are {@code deployment}, {@code service}, {@code serviceAccount}, {@code horizontalPodAutoscaler} and
 * {@code podDisruptionBudget}; any other key makes Istio refuse to render the Gateway ({@code supportedOverlays}).
 * Writing {@code externalTrafficPolicy: Local} into the {@code service} overlay and the ingress pool's nodeSelector
 * into the {@code deployment} overlay makes Istio create compliant objects, so nothing fights its reconciliation.
 * Each overlay is parsed, changed and written back with every other key, value and comment kept; one that cannot be
 * read is left alone with a warning naming the key and the fix.
 * <p>What admission can know: the class label is on the ConfigMap itself; a parametersRef is known only from the
 * Gateways the view holds (the webhook's informer cache, or the report's input), so while they cannot be read an
 * unlabelled ConfigMap is left alone with a note.
 */
final class IstioGatewayOverlays {

    static final String CLASS_DEFAULTS = "gateway.istio.io/defaults-for-class";
    // Istio's own annotation for the generated Service's type (istio/api annotation NetworkingServiceType).
    static final String SERVICE_TYPE = "networking.istio.io/service-type";
    // The waypoint class renders a ClusterIP Service (deploymentcontroller.go, classInfos: defaultServiceType
    // ClusterIP).
    private static final Set<String> CLUSTER_IP_CLASSES = Set.of("istio-waypoint");
    private static final Set<String> SUPPORTED =
            Set.of("deployment", "service", "serviceAccount", "horizontalPodAutoscaler", "podDisruptionBudget");
    private static final List<String> ETP = List.of("spec", "externalTrafficPolicy");
    private static final List<String> POD = List.of("spec", "template", "spec");
    private static final YAMLMapper YAML = new YAMLMapper();

    private final IngressPoolSettings pool;
    private final List<String> istioNamespaces;

    IstioGatewayOverlays(IngressPoolSettings pool, List<String> istioNamespaces) {
        this.pool = pool;
        this.istioNamespaces = List.copyOf(istioNamespaces);
    }

    /** True for a ConfigMap that holds an overlay Istio could read: a {@code service} or {@code deployment} key. */
    static boolean holdsOverlays(JsonNode configMap) {
        JsonNode data = configMap.path("data");
        return data.path("service").isTextual() || data.path("deployment").isTextual();
    }

    Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        JsonNode configMap = subject.object();
        String klass = Metadata.label(configMap, CLASS_DEFAULTS);
        Optional<List<GatewayMeta>> gateways = cluster.gateways();
        List<String> notes = new ArrayList<>();
        // The Gateways whose Service this ConfigMap shapes, when they can be known.
        Optional<List<GatewayMeta>> shaped;
        String reader;
        if (klass != null) {
            if (!istioNamespaces.contains(subject.namespace())) {
                return Finding.skip(
                        GatewayConfigRule.ID,
                        CLASS_DEFAULTS + " is read only in Istio's own namespace ("
                                + String.join(", ", istioNamespaces)
                                + ": rules.gateway-config.istio-namespaces), not in "
                                + subject.namespace() + ": left alone");
            }
            reader = "class " + klass;
            shaped = gateways.map(
                    all -> all.stream().filter(g -> klass.equals(g.className())).toList());
        } else {
            if (gateways.isEmpty()) {
                return Finding.pass(GatewayConfigRule.ID)
                        .withNote("not labelled " + CLASS_DEFAULTS + ", and the Gateways"
                                + (cluster.hasCluster() ? " cannot be read yet" : " were not in the input")
                                + ": whether a parametersRef names it was not checked, left alone");
            }
            List<GatewayMeta> referencing = gateways.get().stream()
                    .filter(g -> g.namespace().equals(subject.namespace())
                            && g.parametersName().equals(subject.name())
                            && "ConfigMap".equals(g.parametersKind())
                            && g.parametersGroup().isEmpty())
                    .toList();
            if (referencing.isEmpty()) {
                return Finding.skip(
                        GatewayConfigRule.ID,
                        "no Gateway's spec.infrastructure.parametersRef names it and it is" + " not labelled "
                                + CLASS_DEFAULTS + ": Istio does not read it");
            }
            reader = "Gateway "
                    + String.join(
                            ", ",
                            referencing.stream().map(GatewayMeta::displayName).toList());
            shaped = Optional.of(referencing);
        }
        JsonNode data = configMap.path("data");
        data.fieldNames().forEachRemaining(key -> {
            if (!SUPPORTED.contains(key)) {
                notes.add("data key '" + key + "' is no overlay Istio supports ("
                        + String.join(", ", SUPPORTED.stream().sorted().toList()) + "): Istio refuses to render "
                        + reader + " until it is removed");
            }
        });
        List<PatchOperation> patch = new ArrayList<>();
        List<String> actions = new ArrayList<>();
        List<String> leftAlone = new ArrayList<>();
        String serviceProblem = serviceWithheld(klass, shaped, cluster);
        if (serviceProblem != null) {
            notes.add("externalTrafficPolicy not set: " + serviceProblem);
        } else {
            edit(data, "service", leftAlone, patch, actions, overlay -> {
                String type = overlay.scalar(List.of("spec", "type"));
                if (type != null && !"LoadBalancer".equals(type) && !"NodePort".equals(type)) {
                    notes.add("the service overlay sets spec.type " + type
                            + ", where externalTrafficPolicy may not be set");
                    return null;
                }
                if ("Local".equals(overlay.scalar(ETP))) {
                    return null;
                }
                return overlay.set(ETP, "Local") ? "set externalTrafficPolicy: Local in the service overlay" : "";
            });
        }
        IngressPool found = IngressPool.of(pool, cluster);
        String text = pool.poolLabelKey() + "=" + pool.poolLabelValue();
        if (found.withheld() != null) {
            notes.add("nodeSelector " + text + " not set in the deployment overlay: " + found.withheld());
        } else {
            edit(data, "deployment", leftAlone, patch, actions, overlay -> pin(overlay, found, text, notes));
            if (found.note() != null) {
                notes.add(found.note());
            }
        }
        Finding finding;
        if (!patch.isEmpty()) {
            finding = Finding.mutate(
                    GatewayConfigRule.ID, String.join(", ", actions) + " (read by Istio for " + reader + ")", patch);
        } else if (!leftAlone.isEmpty()) {
            finding = Finding.warn(GatewayConfigRule.ID, String.join("; ", leftAlone));
            leftAlone.clear();
        } else {
            finding = Finding.pass(GatewayConfigRule.ID);
        }
        for (String note : leftAlone) {
            finding = finding.withNote(note);
        }
        for (String note : notes) {
            finding = finding.withNote(note);
        }
        return finding;
    }

    // Why externalTrafficPolicy must not go into the service overlay, or null: on a ClusterIP Service the API
    // server refuses the field, and Istio could then apply neither the Service nor the Deployment of a Gateway.
    private static String serviceWithheld(String klass, Optional<List<GatewayMeta>> shaped, ClusterView cluster) {
        if (klass != null && CLUSTER_IP_CLASSES.contains(klass)) {
            return "class " + klass + " renders ClusterIP Services";
        }
        if (shaped.isEmpty()) {
            return cluster.hasCluster()
                    ? "the Gateways of class " + klass + " cannot be read yet, and one that asks for a"
                            + " ClusterIP Service (" + SERVICE_TYPE + ") would be refused with it"
                    : null;
        }
        List<String> clusterIp = shaped.get().stream()
                .filter(g -> {
                    String t = g.annotations().get(SERVICE_TYPE);
                    return t != null && !"LoadBalancer".equals(t) && !"NodePort".equals(t);
                })
                .map(GatewayMeta::displayName)
                .toList();
        return clusterIp.isEmpty()
                ? null
                : "Gateway " + String.join(", ", clusterIp) + " asks for another Service type (" + SERVICE_TYPE
                        + "), where the API server refuses externalTrafficPolicy";
    }

    private String pin(YamlOverlay overlay, IngressPool found, String text, List<String> notes) {
        List<String> done = new ArrayList<>();
        List<String> selector = new ArrayList<>(POD);
        selector.add("nodeSelector");
        selector.add(pool.poolLabelKey());
        if (!pool.poolLabelValue().equals(overlay.scalar(selector))) {
            if (!overlay.set(selector, pool.poolLabelValue())) {
                return "";
            }
            done.add("nodeSelector " + text);
        }
        List<IngressPoolSettings.Toleration> wanted = new ArrayList<>(found.taints());
        pool.toleration().ifPresent(wanted::add);
        List<String> tolerationsPath = new ArrayList<>(POD);
        tolerationsPath.add("tolerations");
        for (IngressPoolSettings.Toleration taint : wanted) {
            JsonNode existing = read(overlay).at("/spec/template/spec/tolerations");
            boolean tolerated = false;
            for (JsonNode t : existing) {
                tolerated |= IngressNodePoolRule.tolerates(t, taint);
            }
            if (tolerated) {
                continue;
            }
            Map<String, String> toleration = new LinkedHashMap<>();
            toleration.put("key", taint.key());
            toleration.put("operator", taint.value().isEmpty() ? "Exists" : "Equal");
            if (!taint.value().isEmpty()) {
                toleration.put("value", taint.value());
            }
            if (!taint.effect().isEmpty()) {
                toleration.put("effect", taint.effect());
            }
            if (existing.isMissingNode() && done.stream().noneMatch(d -> d.startsWith("a toleration"))) {
                notes.add(
                        "the deployment overlay's tolerations replace those of Istio's template (strategic merge has no"
                                + " merge key for them): list there any other taint its pods must tolerate");
            }
            if (!overlay.append(tolerationsPath, toleration)) {
                return "";
            }
            done.add("a toleration of the " + taint.key() + " taint");
        }
        return done.isEmpty() ? null : "set " + String.join(" and ", done) + " in the deployment overlay";
    }

    /** What one overlay edit did: null for nothing to do, "" for a shape it could not change, else the action. */
    private interface Edit {
        String apply(YamlOverlay overlay);
    }

    private static void edit(
            JsonNode data,
            String key,
            List<String> leftAlone,
            List<PatchOperation> patch,
            List<String> actions,
            Edit edit) {
        JsonNode current = data.get(key);
        if (current != null && !current.isTextual()) {
            return;
        }
        String fix = "fix the YAML of data key '" + key + "' so Istio can merge it, or set "
                + ("service".equals(key) ? "spec.externalTrafficPolicy: Local" : "spec.template.spec.nodeSelector")
                + " there yourself";
        YamlOverlay overlay;
        try {
            overlay = YamlOverlay.parse(current == null ? "" : current.asText());
        } catch (IllegalArgumentException e) {
            leftAlone.add("left data key '" + key + "' alone: " + e.getMessage() + "; " + fix);
            return;
        }
        String action = edit.apply(overlay);
        if (action == null) {
            return;
        }
        if (action.isEmpty()) {
            leftAlone.add("left data key '" + key + "' alone: a field on the way is not a mapping; " + fix);
            return;
        }
        String path = "/data/" + PatchOperation.escape(key);
        TextNode value = TextNode.valueOf(overlay.dump());
        patch.add(current == null ? PatchOperation.add(path, value) : PatchOperation.replace(path, value));
        actions.add(action);
    }

    private static JsonNode read(YamlOverlay overlay) {
        try {
            return YAML.readTree(overlay.dump());
        } catch (java.io.IOException e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }
}
