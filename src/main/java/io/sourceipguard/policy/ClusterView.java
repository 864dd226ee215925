package io.sourceipguard.policy;

import io.sourceipguard.policy.masq.MasqAgent;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the rules may know about the rest of the cluster. The cluster adapter answers from
 * informer caches, never with an API call on the request path; tests answer from fixtures.
 * An empty Optional means "cannot tell right now" (cache not synced, API unreachable): each
 * rule then documents its fallback.
 */
public interface ClusterView {

    /** A ConfigMap as the rules see it: its name and its data, binaryData decoded in (their keys never clash). */
    record ConfigMapData(String name, Map<String, String> data) {

        /** A binaryData value as the file a mount makes of it (UTF-8 text; unreadable base64 is empty). */
        public static String decode(String base64) {
            try {
                return new String(
                        java.util.Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
    }

    /** The ConfigMaps of {@code namespace}, or empty when they cannot be read. */
    Optional<List<ConfigMapData>> configMaps(String namespace);

    /** A Namespace's labels and annotations. */
    record NamespaceMeta(Map<String, String> labels, Map<String, String> annotations) {}

    /** The labels and annotations of a namespace, or empty when they cannot be read. */
    Optional<NamespaceMeta> namespace(String name);

    /** A Node taint, as {@code spec.taints} lists it. */
    record Taint(String key, String value, String effect) {}

    /** What the rules read of a Node: its labels, taints and pod CIDRs (never its status). */
    record NodeMeta(String name, Map<String, String> labels, List<Taint> taints, List<String> podCidrs) {
        public NodeMeta {
            labels = Map.copyOf(labels);
            taints = List.copyOf(taints);
            podCidrs = List.copyOf(podCidrs);
        }
    }

    /** The cluster's Nodes, or empty when they cannot be read (cache not synced, API unreachable). */
    Optional<List<NodeMeta>> nodes();

    /**
     * What the rules read of a Service that can receive traffic from outside (type LoadBalancer or
     * NodePort): where it is, what it selects, and whether client IPs survive ({@code externalTrafficPolicy},
     * empty when unset, which means Cluster).
     */
    record ServiceMeta(
            String namespace,
            String name,
            String type,
            String externalTrafficPolicy,
            Map<String, String> labels,
            Map<String, String> selector) {
        public ServiceMeta {
            labels = Map.copyOf(labels);
            selector = Map.copyOf(selector);
        }

        /** True when the nodes keep the client's address: only {@code Local} does. */
        public boolean keepsClientIp() {
            return "Local".equals(externalTrafficPolicy);
        }

        public String displayName() {
            return namespace + "/" + name;
        }
    }

    /**
     * The cluster's LoadBalancer and NodePort Services, or empty when they cannot be read (cache not
     * synced, API unreachable, no cluster).
     */
    Optional<List<ServiceMeta>> services();

    /**
     * A Gateway API {@code Gateway} ({@code gateway.networking.k8s.io/v1}) as the rules see it: its class, its
     * annotations and the {@code spec.infrastructure.parametersRef} it names (empty strings when unset).
     */
    record GatewayMeta(
            String namespace,
            String name,
            String className,
            Map<String, String> annotations,
            String parametersGroup,
            String parametersKind,
            String parametersName) {
        public GatewayMeta {
            annotations = Map.copyOf(annotations);
        }

        /** The rules' view of a Gateway manifest (any served version: the fields read are the same in v1 and v1beta1). */
        public static GatewayMeta of(com.fasterxml.jackson.databind.JsonNode gateway) {
            com.fasterxml.jackson.databind.JsonNode metadata = gateway.path("metadata");
            com.fasterxml.jackson.databind.JsonNode ref =
                    gateway.path("spec").path("infrastructure").path("parametersRef");
            Map<String, String> annotations = new java.util.LinkedHashMap<>();
            metadata.path("annotations")
                    .fields()
                    .forEachRemaining(
                            e -> annotations.put(e.getKey(), e.getValue().asText("")));
            return new GatewayMeta(
                    metadata.path("namespace").asText(""),
                    metadata.path("name").asText(""),
                    gateway.path("spec").path("gatewayClassName").asText(""),
                    annotations,
                    ref.path("group").asText(""),
                    ref.path("kind").asText(""),
                    ref.path("name").asText(""));
        }

        public String displayName() {
            return namespace + "/" + name;
        }
    }

    /**
     * The cluster's Gateways: empty when they cannot be read (cache not synced, no cluster); an empty list when
     * the cluster does not serve the Gateway API at all.
     */
    default Optional<List<GatewayMeta>> gateways() {
        return Optional.empty();
    }

    /** One {@code parentRefs} entry of a route: the Gateway (or other parent) it attaches to. */
    record ParentRef(String group, String kind, String namespace, String name) {}

    /** An {@code HTTPRoute} or {@code GRPCRoute} as the rules see it: where it is and the parents it attaches to. */
    record RouteMeta(String kind, String namespace, String name, List<ParentRef> parents) {
        public RouteMeta {
            parents = List.copyOf(parents);
        }

        /**
         * The rules' view of an HTTPRoute or GRPCRoute manifest. A parentRef's group defaults to
         * gateway.networking.k8s.io, its kind to Gateway and its namespace to the route's (sigs.k8s.io/gateway-api
         * apis/v1/shared_types.go, ParentReference).
         */
        public static RouteMeta of(com.fasterxml.jackson.databind.JsonNode route) {
            com.fasterxml.jackson.databind.JsonNode metadata = route.path("metadata");
            String namespace = metadata.path("namespace").asText("");
            List<ParentRef> parents = new java.util.ArrayList<>();
            for (com.fasterxml.jackson.databind.JsonNode ref :
                    route.path("spec").path("parentRefs")) {
                parents.add(new ParentRef(
                        ref.path("group").asText("gateway.networking.k8s.io"),
                        ref.path("kind").asText("Gateway"),
                        ref.path("namespace").asText(namespace),
                        ref.path("name").asText("")));
            }
            return new RouteMeta(
                    route.path("kind").asText(""),
                    namespace,
                    metadata.path("name").asText(""),
                    parents);
        }
    }

    /** The cluster's HTTPRoutes and GRPCRoutes, with the same three states as {@link #gateways()}. */
    default Optional<List<RouteMeta>> routes() {
        return Optional.empty();
    }

    /** An {@code IngressClass}: its name, {@code spec.controller}, and whether it is the cluster's default class. */
    record IngressClassMeta(String name, String controller, boolean isDefault) {

        /** The rules' view of an IngressClass manifest ({@code networking.k8s.io/v1}). */
        public static IngressClassMeta of(com.fasterxml.jackson.databind.JsonNode ingressClass) {
            return new IngressClassMeta(
                    ingressClass.path("metadata").path("name").asText(""),
                    ingressClass.path("spec").path("controller").asText(""),
                    "true"
                            .equals(ingressClass
                                    .path("metadata")
                                    .path("annotations")
                                    .path("ingressclass.kubernetes.io/is-default-class")
                                    .asText("")));
        }
    }

    /** The cluster's IngressClasses, or empty when they cannot be read. */
    default Optional<List<IngressClassMeta>> ingressClasses() {
        return Optional.empty();
    }

    /**
     * A workload that runs ingress-nginx's controller: where it is, its pod labels (what a Service selects) and the
     * arguments of that container, which say the IngressClass controller value and class name it serves.
     */
    record ControllerMeta(
            String namespace, String kind, String name, Map<String, String> podLabels, List<String> args) {
        public ControllerMeta {
            podLabels = Map.copyOf(podLabels);
            args = List.copyOf(args);
        }

        // The controller binary of ingress-nginx's images (deploy/static/provider/*/deploy.yaml: args[0]).
        private static final String NGINX_CONTROLLER = "/nginx-ingress-controller";

        /** The view of a Deployment or DaemonSet manifest, or null when no container runs ingress-nginx's controller. */
        public static ControllerMeta of(com.fasterxml.jackson.databind.JsonNode workload) {
            com.fasterxml.jackson.databind.JsonNode template =
                    workload.path("spec").path("template");
            for (com.fasterxml.jackson.databind.JsonNode container :
                    template.path("spec").path("containers")) {
                if (NGINX_CONTROLLER.equals(container.path("args").path(0).asText(""))) {
                    List<String> args = new java.util.ArrayList<>();
                    container.path("args").forEach(a -> args.add(a.asText("")));
                    Map<String, String> labels = new java.util.LinkedHashMap<>();
                    template.path("metadata")
                            .path("labels")
                            .fields()
                            .forEachRemaining(
                                    e -> labels.put(e.getKey(), e.getValue().asText("")));
                    com.fasterxml.jackson.databind.JsonNode metadata = workload.path("metadata");
                    return new ControllerMeta(
                            metadata.path("namespace").asText(""),
                            workload.path("kind").asText(""),
                            metadata.path("name").asText(""),
                            labels,
                            args);
                }
            }
            return null;
        }

        /** The value of a {@code --flag=value} or {@code --flag value} argument, or {@code fallback}. */
        public String flag(String name, String fallback) {
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                if (arg.startsWith(name + "=")) {
                    return arg.substring(name.length() + 1);
                }
                if (arg.equals(name) && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                    return args.get(i + 1);
                }
                if (arg.equals(name)) {
                    return "true";
                }
            }
            return fallback;
        }

        public String displayName() {
            return kind + " " + namespace + "/" + name;
        }
    }

    /** The ingress-nginx controller workloads of the cluster, or empty when they cannot be read. */
    default Optional<List<ControllerMeta>> ingressControllers() {
        return Optional.empty();
    }

    /**
     * False when no Kubernetes API is configured at all (a workstation, the offline report): the
     * rules then judge from configuration alone and say that the cluster facts were not checked.
     * True when a cluster is configured, even if it cannot be read right now.
     */
    boolean hasCluster();

    /**
     * The ip-masq-agents the cluster runs, read from the DaemonSets that mount the masq ConfigMaps;
     * empty when they cannot be read or none mounts them (the rules then use the agents' known mounts).
     */
    default Optional<List<MasqAgent>> masqAgents() {
        return Optional.empty();
    }

    /** A view with no cluster behind it: for offline reports and callers without a cluster. */
    ClusterView UNAVAILABLE = new ClusterView() {
        @Override
        public Optional<List<ConfigMapData>> configMaps(String namespace) {
            return Optional.empty();
        }

        @Override
        public Optional<NamespaceMeta> namespace(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<List<NodeMeta>> nodes() {
            return Optional.empty();
        }

        @Override
        public Optional<List<ServiceMeta>> services() {
            return Optional.empty();
        }

        @Override
        public boolean hasCluster() {
            return false;
        }
    };
}
