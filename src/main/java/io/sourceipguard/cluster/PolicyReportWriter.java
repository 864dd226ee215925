package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.sourceipguard.report.PolicyReports;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Makes the cluster's PolicyReports match a scan: server-side apply of each report (so other
 * writers' fields survive), and deletion of the reports of ours that the scan no longer produces.
 */
final class PolicyReportWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KubernetesClient client;

    PolicyReportWriter(KubernetesClient client) {
        this.client = client;
    }

    // Named explicitly, so no API discovery is needed to find the plural.
    private static ResourceDefinitionContext context(String kind) {
        return new ResourceDefinitionContext.Builder()
                .withGroup("wgpolicyk8s.io")
                .withVersion("v1alpha2")
                .withKind(kind)
                .withPlural(kind.toLowerCase(java.util.Locale.ROOT) + "s")
                .withNamespaced("PolicyReport".equals(kind))
                .build();
    }

    void write(List<ObjectNode> reports) {
        Set<String> current = new HashSet<>();
        for (ObjectNode report : reports) {
            GenericKubernetesResource resource = JSON.convertValue(report, GenericKubernetesResource.class);
            String kind = resource.getKind();
            String namespace = resource.getMetadata().getNamespace();
            var op = client.genericKubernetesResources(context(kind));
            (namespace == null
                            ? op.resource(resource)
                            : op.inNamespace(namespace).resource(resource))
                    .fieldManager("sourceip-guard")
                    .forceConflicts()
                    .serverSideApply();
            current.add(kind + "/" + (namespace == null ? "" : namespace));
        }
        for (String kind : new String[] {"PolicyReport", "ClusterPolicyReport"}) {
            var op = client.genericKubernetesResources(context(kind));
            var ours = "PolicyReport".equals(kind)
                    ? op.inAnyNamespace()
                            .withLabel(PolicyReports.MANAGED_BY, PolicyReports.NAME)
                            .list()
                    : op.withLabel(PolicyReports.MANAGED_BY, PolicyReports.NAME).list();
            for (GenericKubernetesResource stale : ours.getItems()) {
                String namespace = stale.getMetadata().getNamespace();
                if (!current.contains(kind + "/" + (namespace == null ? "" : namespace))) {
                    (namespace == null
                                    ? op.withName(stale.getMetadata().getName())
                                    : op.inNamespace(namespace)
                                            .withName(stale.getMetadata().getName()))
                            .delete();
                }
            }
        }
    }
}
