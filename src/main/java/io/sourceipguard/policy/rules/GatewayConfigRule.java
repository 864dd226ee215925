package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.Rule;
import java.util.ArrayList;
import java.util.List;

/**
 * Steers the Gateway controllers at their source: their own configuration objects get
 * {@code externalTrafficPolicy: Local} and, where the data plane is a Deployment or DaemonSet of its
 * own, the ingress pool's nodeSelector, so the Services and workloads they create comply and nothing
 * fights their reconciliation. Only the apiVersions whose types were read are touched; others are left alone.
 * <ul>
 *   <li>Envoy Gateway {@code EnvoyProxy} ({@code gateway.envoyproxy.io/v1alpha1}; api/v1alpha1/envoyproxy_types.go,
 *       shared_types.go): {@code spec.provider.kubernetes.envoyService.externalTrafficPolicy} (default Local) and
 *       {@code spec.provider.kubernetes.envoyDeployment|envoyDaemonSet.pod.nodeSelector}; provider {@code type} is required.</li>
 *   <li>NGINX Gateway Fabric {@code NginxProxy} ({@code gateway.nginx.org/v1alpha2}; apis/v1alpha2/nginxproxy_types.go):
 *       {@code spec.kubernetes.service.externalTrafficPolicy} (default Local) and
 *       {@code spec.kubernetes.deployment|daemonSet.pod.nodeSelector} (at most one of the two may be set).</li>
 *   <li>Cilium {@code CiliumGatewayClassConfig} ({@code cilium.io/v2alpha1};
 *       pkg/k8s/apis/cilium.io/v2alpha1/gatewayclassconfig_types.go): {@code spec.service.externalTrafficPolicy}
 *       (default Cluster). Cilium's Envoy runs on every node, so there is nothing to pin.</li>
 *   <li>Istio's Gateway ConfigMaps (core {@code ConfigMap} with a {@code service} or {@code deployment} overlay):
 *       see {@link IstioGatewayOverlays}.</li>
 * </ul>
 * The nodeSelector follows the ingress-node-pool rule's pool and, like it, is withheld while no node
 * carries the pool label.
 */
public final class GatewayConfigRule implements Rule {

    public static final String ID = "gateway-config";

    private static final String LOCAL = "Local";
    private static final String NODE_SELECTOR = "nodeSelector";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final IngressPoolSettings pool;
    private final IstioGatewayOverlays istio;

    public GatewayConfigRule(IngressPoolSettings pool, List<String> istioNamespaces) {
        this.pool = pool;
        this.istio = new IstioGatewayOverlays(pool, istioNamespaces);
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
        return (subject.is("gateway.envoyproxy.io", "EnvoyProxy")
                        || subject.is("gateway.nginx.org", "NginxProxy")
                        || subject.is("cilium.io", "CiliumGatewayClassConfig")
                        || (subject.is("", "ConfigMap") && IstioGatewayOverlays.holdsOverlays(subject.object())))
                && (subject.operation() == Operation.CREATE || subject.operation() == Operation.UPDATE);
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        JsonNode object = subject.object();
        if (subject.is("", "ConfigMap")) {
            return istio.evaluate(subject, cluster);
        }
        String apiVersion = object.path("apiVersion").asText("");
        if (!object.isObject()
                || (!object.path("spec").isMissingNode() && !object.path("spec").isObject())) {
            return Finding.skip(ID, "spec is not an object: left alone");
        }
        Changes changes = new Changes(object);
        switch (subject.kind() + " " + apiVersion) {
            case "EnvoyProxy gateway.envoyproxy.io/v1alpha1" -> envoyProxy(object, changes, cluster);
            case "NginxProxy gateway.nginx.org/v1alpha2" -> nginxProxy(object, changes, cluster);
            case "CiliumGatewayClassConfig cilium.io/v2alpha1" ->
                changes.setUnlessLocal(List.of("spec", "service"), false);
            default -> {
                return Finding.skip(
                        ID, subject.kind() + " " + apiVersion + " is not a version whose fields are known: left alone");
            }
        }
        return changes.finding();
    }

    private void envoyProxy(JsonNode object, Changes changes, ClusterView cluster) {
        JsonNode provider = object.path("spec").path("provider");
        if (!provider.isMissingNode()
                && !"Kubernetes".equals(provider.path("type").asText(""))) {
            changes.skip = "spec.provider.type is " + provider.path("type").asText("(not set)")
                    + ", not Kubernetes: Envoy Gateway does not create the data plane, left alone";
            return;
        }
        if (provider.isMissingNode()) {
            // The provider is required to carry its type; the ETP default (Local) already complies.
            IngressPool found = IngressPool.of(pool, cluster);
            if (found.withheld() == null) {
                ObjectNode fresh = JSON.objectNode().put("type", "Kubernetes");
                fresh.putObject("kubernetes")
                        .putObject("envoyDeployment")
                        .putObject("pod")
                        .putObject(NODE_SELECTOR)
                        .put(pool.poolLabelKey(), pool.poolLabelValue());
                changes.add(
                        Changes.set(object, List.of("spec", "provider"), fresh),
                        "set spec.provider.kubernetes.envoyDeployment.pod.nodeSelector " + poolText());
            }
            changes.poolNote(found, poolText());
            return;
        }
        List<String> kubernetes = List.of("spec", "provider", "kubernetes");
        changes.setUnlessLocal(append(kubernetes, "envoyService"), true);
        boolean daemonSet =
                object.at("/spec/provider/kubernetes/envoyDaemonSet").isObject();
        changes.pin(append(kubernetes, daemonSet ? "envoyDaemonSet" : "envoyDeployment", "pod"), pool, cluster);
    }

    private void nginxProxy(JsonNode object, Changes changes, ClusterView cluster) {
        List<String> kubernetes = List.of("spec", "kubernetes");
        changes.setUnlessLocal(append(kubernetes, "service"), true);
        boolean daemonSet = object.at("/spec/kubernetes/daemonSet").isObject();
        changes.pin(append(kubernetes, daemonSet ? "daemonSet" : "deployment", "pod"), pool, cluster);
    }

    private String poolText() {
        return pool.poolLabelKey() + "=" + pool.poolLabelValue();
    }

    private static List<String> append(List<String> path, String... more) {
        List<String> all = new ArrayList<>(path);
        all.addAll(List.of(more));
        return all;
    }

    /** The operations and what they do, gathered for one object. */
    private static final class Changes {
        final JsonNode object;
        final List<PatchOperation> patch = new ArrayList<>();
        final List<String> actions = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        String skip;

        Changes(JsonNode object) {
            this.object = object;
        }

        void add(PatchOperation op, String action) {
            if (op == null) {
                notes.add("cannot " + action + ": a parent field is not an object");
            } else {
                patch.add(op);
                actions.add(action);
            }
        }

        // defaultLocal: the controller's default is Local, so only an explicit Cluster needs a change.
        void setUnlessLocal(List<String> service, boolean defaultLocal) {
            JsonNode current = at(object, append(service, "externalTrafficPolicy"));
            boolean unset = current == null || current.isNull();
            if (unset ? defaultLocal : LOCAL.equals(current.asText())) {
                return;
            }
            add(
                    set(object, append(service, "externalTrafficPolicy"), TextNode.valueOf(LOCAL)),
                    "set " + String.join(".", service) + ".externalTrafficPolicy=Local (was "
                            + (unset ? "unset, which means Cluster" : current.asText()) + ")");
        }

        void pin(List<String> pod, IngressPoolSettings pool, ClusterView cluster) {
            String text = pool.poolLabelKey() + "=" + pool.poolLabelValue();
            JsonNode current = at(object, append(pod, NODE_SELECTOR, pool.poolLabelKey()));
            if (current != null && pool.poolLabelValue().equals(current.asText())) {
                return;
            }
            IngressPool found = IngressPool.of(pool, cluster);
            if (found.withheld() == null) {
                add(
                        set(
                                object,
                                append(pod, NODE_SELECTOR, pool.poolLabelKey()),
                                TextNode.valueOf(pool.poolLabelValue())),
                        "set " + String.join(".", pod) + ".nodeSelector " + text);
                if (current != null) {
                    notes.add("corrected nodeSelector " + pool.poolLabelKey() + "=" + current.asText()
                            + " to the ingress pool " + text);
                }
            }
            poolNote(found, text);
        }

        void poolNote(IngressPool found, String text) {
            if (found.withheld() != null) {
                notes.add("nodeSelector " + text + " not set: " + found.withheld());
            } else if (found.note() != null) {
                notes.add(found.note());
            }
        }

        Finding finding() {
            if (skip != null) {
                return Finding.skip(ID, skip);
            }
            Finding finding =
                    patch.isEmpty() ? Finding.pass(ID) : Finding.mutate(ID, String.join(", ", actions), patch);
            for (String note : notes) {
                finding = finding.withNote(note);
            }
            return finding;
        }

        /** The node at a path, or null when it or a parent is absent (never throws on odd shapes). */
        static JsonNode at(JsonNode root, List<String> path) {
            JsonNode node = root;
            for (String segment : path) {
                node = node.isObject() ? node.get(segment) : null;
                if (node == null) {
                    return null;
                }
            }
            return node;
        }

        /**
         * One operation that sets the value at a path of the incoming tree: {@code add} of the first missing
         * parent with the rest nested in it, else {@code add} or {@code replace} of the leaf; null when a
         * parent on the way exists but is not an object (a malformed object is left alone).
         */
        static PatchOperation set(JsonNode root, List<String> path, JsonNode value) {
            JsonNode node = root;
            StringBuilder pointer = new StringBuilder();
            for (int i = 0; i < path.size(); i++) {
                String segment = path.get(i);
                pointer.append('/').append(PatchOperation.escape(segment));
                JsonNode child = node.get(segment);
                if (i == path.size() - 1) {
                    return child == null
                            ? PatchOperation.add(pointer.toString(), value)
                            : PatchOperation.replace(pointer.toString(), value);
                }
                if (child == null || child.isNull()) {
                    JsonNode nested = value;
                    for (int j = path.size() - 1; j > i; j--) {
                        ObjectNode parent = JSON.objectNode();
                        parent.set(path.get(j), nested);
                        nested = parent;
                    }
                    return child == null
                            ? PatchOperation.add(pointer.toString(), nested)
                            : PatchOperation.replace(pointer.toString(), nested);
                }
                if (!child.isObject()) {
                    return null;
                }
                node = child;
            }
            return null;
        }
    }
}
