package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.Metadata;
import java.util.Optional;

/**
 * Who writes an object back when the webhook changes it, and where to steer that owner instead.
 * A controller that reconciles a Service or workload from its own configuration would undo our
 * patch on its next pass and patch it again on the following admission: a loop that never settles.
 * Such objects are admitted unchanged with a warning that names the source to change. Helm is not
 * one of them (see {@link #helmValue}).
 * The markers are each project's own conventions (sources in the README's recognised controllers).
 */
final class ReconcilingOwner {

    /** The field the webhook would set: the steering advice differs. */
    enum Field {
        EXTERNAL_TRAFFIC_POLICY,
        NODE_SELECTOR
    }

    // Envoy Gateway: internal/infrastructure/kubernetes/proxy/resource.go labels every generated object.
    static final String ENVOY_GATEWAY_MANAGED_BY = "envoy-gateway";
    static final String ENVOY_GATEWAY_OWNER = "gateway.envoyproxy.io/owning-gateway-name";
    // Istio: pilot/pkg/config/kube/gateway/templates/deployment.yaml (and its testdata) on Deployment and Service.
    static final String ISTIO_MANAGED = "gateway.istio.io/managed";
    // Cilium: operator/pkg/gateway-api (owningGatewayLabel) on the generated Service.
    static final String CILIUM_OWNER = "io.cilium.gateway/owning-gateway";
    // The Gateway API's own label, set by Istio, Cilium and NGINX Gateway Fabric on their data planes. NGINX
    // Gateway Fabric's provisioner later moved it to an annotation (nginx/nginx-gateway-fabric
    // internal/framework/controller/labels.go GatewayAnnotation, and internal/controller/provisioner/objects.go
    // buildNginxResourceObjects, at commit d7a536d5fda6a4f90fc86435c95815852f769824): either marks the owner.
    static final String GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name";
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    // Set by helm install/upgrade on every object of a release (not by helm template).
    static final String HELM_RELEASE = "meta.helm.sh/release-name";
    static final String HELM_NAMESPACE = "meta.helm.sh/release-namespace";

    private ReconcilingOwner() {}

    /** The owner that would reconcile {@code field} back, with where to set it instead; empty when none is known. */
    static Optional<String> steer(JsonNode object, Field field) {
        boolean etp = field == Field.EXTERNAL_TRAFFIC_POLICY;
        if (ENVOY_GATEWAY_MANAGED_BY.equals(Metadata.label(object, MANAGED_BY))
                || Metadata.label(object, ENVOY_GATEWAY_OWNER) != null) {
            return Optional.of("Envoy Gateway reconciles it: set "
                    + (etp
                            ? "spec.provider.kubernetes.envoyService.externalTrafficPolicy: Local"
                            : "spec.provider.kubernetes.envoyDeployment.pod.nodeSelector")
                    + " in the EnvoyProxy of its GatewayClass or Gateway (rule gateway-config does on write)");
        }
        String gateway = Optional.ofNullable(Metadata.label(object, GATEWAY_NAME))
                .orElseGet(() -> Metadata.annotation(object, GATEWAY_NAME));
        if (Metadata.label(object, ISTIO_MANAGED) != null) {
            return Optional.of(
                    "Istio reconciles it for Gateway " + gateway + ": set the '" + (etp ? "service" : "deployment")
                            + "' overlay in the ConfigMap of the Gateway's spec.infrastructure.parametersRef, or of the class's"
                            + " ConfigMap labelled gateway.istio.io/defaults-for-class");
        }
        if (Metadata.label(object, CILIUM_OWNER) != null) {
            return Optional.of("Cilium reconciles it: set spec.service.externalTrafficPolicy: Local in the"
                    + " CiliumGatewayClassConfig of its GatewayClass (rule gateway-config does on write)");
        }
        if (gateway != null) {
            return Optional.of("the controller of Gateway " + gateway + " reconciles it: set it in the Gateway's or"
                    + " GatewayClass's parametersRef (NGINX Gateway Fabric: NginxProxy "
                    + (etp
                            ? "spec.kubernetes.service.externalTrafficPolicy"
                            : "spec.kubernetes.deployment.pod.nodeSelector")
                    + "; rule gateway-config does on write)");
        }
        for (JsonNode owner : object.path("metadata").path("ownerReferences")) {
            if (owner.path("controller").asBoolean(false)) {
                return Optional.of(owner.path("kind").asText("?") + " "
                        + owner.path("name").asText("?")
                        + " owns it (ownerReferences controller: true) and reconciles it: set the field in that owner");
            }
        }
        return Optional.empty();
    }

    /**
     * Where a Helm release sets the field, for a note beside the patch. Helm is no controller: it writes
     * only on install and upgrade, and each such write passes through this webhook and is patched again,
     * so there is no loop to avoid; the chart value makes the release carry the fix itself.
     */
    static Optional<String> helmValue(JsonNode object, Field field) {
        String release = Metadata.annotation(object, HELM_RELEASE);
        if (release == null) {
            return Optional.empty();
        }
        String namespace = Metadata.annotation(object, HELM_NAMESPACE);
        return Optional.of(
                "Helm release " + (namespace == null ? "" : namespace + "/") + release + " installed it: set the"
                        + " chart value too ("
                        + (field == Field.EXTERNAL_TRAFFIC_POLICY
                                ? "ingress-nginx controller.service.externalTrafficPolicy, Traefik service.spec.externalTrafficPolicy"
                                : "ingress-nginx controller.nodeSelector, Traefik nodeSelector")
                        + ", ...)");
    }
}
