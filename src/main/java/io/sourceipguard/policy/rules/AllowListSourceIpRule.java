package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.RouteMeta;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Metadata;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Rule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An allow-list of client IPs behind a Service with {@code externalTrafficPolicy: Cluster} silently
 * sees node IPs: every node forwards and SNATs, so the list admits or refuses nodes, not clients
 * (the field report's "access forbidden by rule, client: 10.244.2.1"). The object is always admitted;
 * the finding is a warning naming the Service. The Service is found by the controller's own labels,
 * from the informer cache; where it cannot tell which Service fronts the list (none found, several that
 * disagree, a route between policy and Gateway), it says so in a note and never warns falsely.
 * <ul>
 *   <li>Ingress ({@code networking.k8s.io/v1}) with {@code nginx.ingress.kubernetes.io/whitelist-source-range} or
 *       {@code allowlist-source-range}: only ingress-nginx reads that prefix. Linked as the cluster links it
 *       ({@link IngressLink}): the Ingress's class, the IngressClass's {@code spec.controller}, the ingress-nginx
 *       workloads that serve that value, the Services that select their pods; the controller's own labels only
 *       where that link cannot be followed, and the finding says which was used.</li>
 *   <li>Traefik {@code Middleware} ({@code traefik.io/v1alpha1}) with {@code spec.ipAllowList} (or the older
 *       {@code ipWhiteList}) {@code sourceRange}; with {@code ipStrategy} it reads X-Forwarded-For instead, which
 *       the Service's policy does not change.</li>
 *   <li>Envoy Gateway {@code SecurityPolicy} ({@code gateway.envoyproxy.io/v1alpha1}) with
 *       {@code spec.authorization.rules[].principal.clientCIDRs} (api/v1alpha1/authorization_types.go). Its
 *       {@code targetRefs} (or the older {@code targetRef}) are local references, in the policy's namespace
 *       (api/v1alpha1/policy_helpers.go: {@code LocalPolicyTargetReferenceWithSectionName}): a Gateway, or an
 *       HTTPRoute or GRPCRoute whose {@code parentRefs} name the Gateways, as the cluster links them. The
 *       Gateway's Service carries {@code gateway.envoyproxy.io/owning-gateway-name} and {@code -namespace}.</li>
 * </ul>
 */
public final class AllowListSourceIpRule implements Rule {

    public static final String ID = "allow-list-source-ip";

    private static final List<String> NGINX_ANNOTATIONS = List.of(
            "nginx.ingress.kubernetes.io/whitelist-source-range", "nginx.ingress.kubernetes.io/allowlist-source-range");
    private static final String NAME = "app.kubernetes.io/name";
    private static final String GATEWAY_API = "gateway.networking.k8s.io";
    private static final Set<String> ROUTE_KINDS = Set.of("HTTPRoute", "GRPCRoute");

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Phase phase() {
        return Phase.VALIDATING;
    }

    @Override
    public boolean appliesTo(AdmissionSubject subject) {
        return (subject.is("networking.k8s.io", "Ingress")
                        || subject.is("traefik.io", "Middleware")
                        || subject.is("gateway.envoyproxy.io", "SecurityPolicy"))
                && (subject.operation() == Operation.CREATE || subject.operation() == Operation.UPDATE);
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        JsonNode object = subject.object();
        return switch (subject.kind()) {
            case "Ingress" -> ingress(object, cluster);
            case "Middleware" -> middleware(object, cluster);
            default -> securityPolicy(subject, object, cluster);
        };
    }

    private Finding ingress(JsonNode ingress, ClusterView cluster) {
        for (String annotation : NGINX_ANNOTATIONS) {
            String list = Metadata.annotation(ingress, annotation);
            if (list != null && !list.isBlank()) {
                IngressLink.Link link = IngressLink.of(ingress, cluster);
                if (link.services() != null && link.services().isEmpty()) {
                    return Finding.pass(ID)
                            .withNote(link.how() + ", and no LoadBalancer or NodePort Service selects its pods:"
                                    + " whether the allow-list sees client IPs was not checked");
                }
                Predicate<ServiceMeta> fronts = link.services() != null
                        ? link.services()::contains
                        : s -> "ingress-nginx".equals(s.labels().get(NAME))
                                && "controller".equals(s.labels().get("app.kubernetes.io/component"));
                Finding finding = judge(
                        annotation + "=" + list + (link.services() != null ? " (" + link.how() + ")" : ""),
                        "ingress-nginx",
                        cluster,
                        fronts);
                // which link was used, when it matters: a Local counterpart passes silently
                return link.services() != null || finding.outcome() != io.sourceipguard.policy.Outcome.WARN
                        ? finding
                        : finding.withNote(link.how());
            }
        }
        return Finding.skip(ID, "no client IP allow-list");
    }

    private Finding middleware(JsonNode middleware, ClusterView cluster) {
        for (String field : List.of("ipAllowList", "ipWhiteList")) {
            JsonNode list = middleware.path("spec").path(field);
            if (!list.path("sourceRange").isArray() || list.path("sourceRange").isEmpty()) {
                continue;
            }
            if (list.path("ipStrategy").isObject()) {
                return Finding.pass(ID)
                        .withNote("spec." + field + ".ipStrategy reads the client from X-Forwarded-For:"
                                + " the Service's externalTrafficPolicy does not change what it sees");
            }
            return judge(
                    "spec." + field + ".sourceRange " + list.path("sourceRange"),
                    "Traefik",
                    cluster,
                    s -> "traefik".equals(s.labels().get(NAME))
                            || "traefik".equals(s.labels().get("app")));
        }
        return Finding.skip(ID, "no client IP allow-list");
    }

    private Finding securityPolicy(AdmissionSubject subject, JsonNode policy, ClusterView cluster) {
        List<String> cidrs = new ArrayList<>();
        for (JsonNode rule : policy.path("spec").path("authorization").path("rules")) {
            rule.path("principal").path("clientCIDRs").forEach(c -> cidrs.add(c.asText()));
        }
        if (cidrs.isEmpty()) {
            return Finding.skip(ID, "no client IP allow-list");
        }
        List<JsonNode> targets = new ArrayList<>();
        policy.path("spec").path("targetRefs").forEach(targets::add);
        if (policy.path("spec").path("targetRef").isObject()) {
            targets.add(policy.path("spec").path("targetRef"));
        }
        // The Gateways behind the targets, each as "namespace/name", and how each was found.
        Set<String> gateways = new LinkedHashSet<>();
        List<String> links = new ArrayList<>();
        for (JsonNode target : targets) {
            String kind = target.path("kind").asText("?");
            String name = target.path("name").asText("");
            if ("Gateway".equals(kind)) {
                gateways.add(subject.namespace() + "/" + name);
            } else if (ROUTE_KINDS.contains(kind)) {
                Optional<List<RouteMeta>> routes = cluster.routes();
                if (routes.isEmpty()) {
                    return Finding.pass(ID)
                            .withNote("clientCIDRs on " + kind + " " + name + ": the routes cannot be read"
                                    + (cluster.hasCluster() ? " yet" : " (no Kubernetes API)")
                                    + ", so the Gateway in front of it and"
                                    + " whether the list sees node IPs were not checked");
                }
                Optional<RouteMeta> route = routes.get().stream()
                        .filter(r -> kind.equals(r.kind())
                                && subject.namespace().equals(r.namespace())
                                && name.equals(r.name()))
                        .findFirst();
                List<String> parents = route.map(r -> r.parents().stream()
                                .filter(p -> "Gateway".equals(p.kind()) && GATEWAY_API.equals(p.group()))
                                .map(p -> p.namespace() + "/" + p.name())
                                .toList())
                        .orElse(List.of());
                if (parents.isEmpty()) {
                    return Finding.pass(ID)
                            .withNote("clientCIDRs on " + kind + " " + subject.namespace() + "/" + name + ", which "
                                    + (route.isEmpty() ? "does not exist (yet)" : "names no Gateway in its parentRefs")
                                    + ": whether the list sees node IPs was not checked");
                }
                gateways.addAll(parents);
                links.add(kind + " " + name + " → Gateway " + String.join(", ", parents));
            } else {
                return Finding.pass(ID)
                        .withNote("clientCIDRs on a " + kind + " target: the Gateway in front of it is not"
                                + " looked up, so whether the list sees node IPs was not checked");
            }
        }
        if (policy.path("spec").path("targetSelectors").isArray()
                && !policy.path("spec").path("targetSelectors").isEmpty()) {
            return Finding.pass(ID)
                    .withNote("clientCIDRs on targetSelectors: the objects they select are not looked up,"
                            + " so whether the list sees node IPs was not checked");
        }
        String what = "spec.authorization clientCIDRs " + cidrs
                + (links.isEmpty() ? "" : " (" + String.join("; ", links) + ")");
        Finding finding = judge(
                what,
                "Envoy Gateway",
                cluster,
                s -> gateways.contains(s.labels().get("gateway.envoyproxy.io/owning-gateway-namespace") + "/"
                        + s.labels().get(ReconcilingOwner.ENVOY_GATEWAY_OWNER)));
        // A ClientTrafficPolicy may take the client from X-Forwarded-For or the proxy protocol instead.
        return finding.outcome() == io.sourceipguard.policy.Outcome.WARN
                ? finding.withNote(
                        "unless a ClientTrafficPolicy takes the client IP from X-Forwarded-For or the proxy protocol")
                : finding;
    }

    /** Warns when every Service that fronts the list is Cluster; notes what it cannot tell. */
    private static Finding judge(String list, String controller, ClusterView cluster, Predicate<ServiceMeta> fronts) {
        Optional<List<ServiceMeta>> services = cluster.services();
        if (services.isEmpty()) {
            return Finding.pass(ID)
                    .withNote(
                            cluster.hasCluster()
                                    ? "the Services cannot be read yet: whether " + controller
                                            + " sees client IPs was not checked"
                                    : "cluster facts were not checked (no Kubernetes API): whether " + controller
                                            + " sees client IPs is unknown");
        }
        List<ServiceMeta> front = services.get().stream().filter(fronts).toList();
        if (front.isEmpty()) {
            return Finding.pass(ID)
                    .withNote("no LoadBalancer or NodePort Service of " + controller
                            + " found: whether the allow-list sees client IPs was not checked");
        }
        List<ServiceMeta> translating =
                front.stream().filter(s -> !s.keepsClientIp()).toList();
        if (translating.isEmpty()) {
            return Finding.pass(ID);
        }
        if (translating.size() < front.size()) {
            return Finding.pass(ID)
                    .withNote("of the " + controller + " Services, " + names(translating)
                            + " are Cluster and the others Local: cannot tell which one fronts " + list);
        }
        return Finding.warn(
                ID,
                list + " will see node IPs, not clients: " + controller + " Service " + names(translating)
                        + " has externalTrafficPolicy Cluster, so every node SNATs; set it to Local");
    }

    private static String names(List<ServiceMeta> services) {
        return String.join(", ", services.stream().map(ServiceMeta::displayName).toList());
    }
}
