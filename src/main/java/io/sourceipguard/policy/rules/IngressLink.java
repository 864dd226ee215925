package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.ControllerMeta;
import io.sourceipguard.policy.ClusterView.IngressClassMeta;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import io.sourceipguard.policy.Metadata;
import java.util.List;
import java.util.Optional;

/**
 * Which ingress-nginx Services front an Ingress, found as the cluster links them. ingress-nginx serves an Ingress
 * whose {@code spec.ingressClassName} names an IngressClass with its {@code --controller-class} as
 * {@code spec.controller} (default {@code k8s.io/ingress-nginx}), or, with {@code --ingress-class-by-name}, whose
 * class name is its {@code --ingress-class} (default {@code nginx}); an Ingress with only the deprecated annotation
 * {@code kubernetes.io/ingress.class} when it equals {@code --ingress-class}; an Ingress without either through the
 * default IngressClass, or with {@code --watch-ingress-without-class} (kubernetes/ingress-nginx cmd/nginx/flags.go;
 * the defaults in internal/ingress/controller/ingressclass/ingressclass.go). The Services are those in a serving
 * workload's namespace whose selector its pod labels satisfy.
 */
final class IngressLink {

    /**
     * The Services that front the Ingress.
     *
     * @param services the linked Services, or null when the link cannot be followed (then {@code how} says why, and the
     *                 rule falls back to ingress-nginx's own labels)
     * @param how      the link used, or why none was, for the finding
     */
    record Link(List<ServiceMeta> services, String how) {}

    static final String CLASS_ANNOTATION = "kubernetes.io/ingress.class";
    private static final String CONTROLLER_CLASS = "--controller-class";
    private static final String INGRESS_CLASS = "--ingress-class";
    private static final String DEFAULT_CONTROLLER = "k8s.io/ingress-nginx";
    private static final String DEFAULT_CLASS = "nginx";
    private static final String FALLBACK = "found by ingress-nginx's labels (app.kubernetes.io/name=ingress-nginx,"
            + " component=controller), not through its IngressClass: ";

    private IngressLink() {}

    static Link of(JsonNode ingress, ClusterView cluster) {
        Optional<List<IngressClassMeta>> classes = cluster.ingressClasses();
        Optional<List<ControllerMeta>> controllers = cluster.ingressControllers();
        Optional<List<ServiceMeta>> services = cluster.services();
        if (classes.isEmpty() || controllers.isEmpty() || services.isEmpty()) {
            return new Link(
                    null,
                    FALLBACK + "the IngressClasses and controller workloads "
                            + (cluster.hasCluster() ? "cannot be read yet" : "were not checked (no Kubernetes API)"));
        }
        String className = ingress.path("spec").path("ingressClassName").asText("");
        String annotation = Metadata.annotation(ingress, CLASS_ANNOTATION);
        List<ControllerMeta> serving;
        String via;
        if (className.isEmpty() && annotation != null) {
            serving = controllers.get().stream()
                    .filter(c -> annotation.equals(c.flag(INGRESS_CLASS, DEFAULT_CLASS)))
                    .toList();
            via = CLASS_ANNOTATION + " " + annotation;
        } else {
            Optional<IngressClassMeta> ingressClass = className.isEmpty()
                    ? classes.get().stream().filter(IngressClassMeta::isDefault).findFirst()
                    : classes.get().stream()
                            .filter(c -> c.name().equals(className))
                            .findFirst();
            if (ingressClass.isEmpty()) {
                if (className.isEmpty()) {
                    serving = controllers.get().stream()
                            .filter(c -> "true".equals(c.flag("--watch-ingress-without-class", "false")))
                            .toList();
                    via = "no IngressClass, --watch-ingress-without-class";
                } else {
                    return new Link(
                            null, FALLBACK + "IngressClass " + className + " is not among the IngressClasses read");
                }
            } else {
                IngressClassMeta found = ingressClass.get();
                serving = controllers.get().stream()
                        .filter(c -> found.controller().equals(c.flag(CONTROLLER_CLASS, DEFAULT_CONTROLLER))
                                || ("true".equals(c.flag("--ingress-class-by-name", "false"))
                                        && found.name().equals(c.flag(INGRESS_CLASS, DEFAULT_CLASS))))
                        .toList();
                via = "IngressClass " + found.name() + (className.isEmpty() ? " (the default)" : "") + ", controller "
                        + found.controller();
            }
        }
        if (serving.isEmpty()) {
            return new Link(null, FALLBACK + "no ingress-nginx workload serves " + via);
        }
        List<ServiceMeta> linked = services.get().stream()
                .filter(s -> serving.stream().anyMatch(c -> selects(s, c)))
                .toList();
        // name the workloads a linked Service fronts (all that serve the class when none is fronted)
        List<ControllerMeta> fronted = serving.stream()
                .filter(c -> linked.stream().anyMatch(s -> selects(s, c)))
                .toList();
        return new Link(
                linked,
                via + " → "
                        + String.join(
                                ", ",
                                (fronted.isEmpty() ? serving : fronted)
                                        .stream()
                                                .map(ControllerMeta::displayName)
                                                .toList()));
    }

    private static boolean selects(ServiceMeta service, ControllerMeta controller) {
        return service.namespace().equals(controller.namespace())
                && !service.selector().isEmpty()
                && service.selector().entrySet().stream()
                        .allMatch(
                                e -> e.getValue().equals(controller.podLabels().get(e.getKey())));
    }
}
