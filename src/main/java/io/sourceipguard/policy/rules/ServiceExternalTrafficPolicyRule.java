package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.Rule;
import java.util.List;

/**
 * LoadBalancer (and by default NodePort) Services get {@code externalTrafficPolicy: Local}:
 * with {@code Cluster} every node forwards and SNATs, so the client IP is lost and every node
 * needs lateral access. ClusterIP, headless and ExternalName Services have no such field.
 */
public final class ServiceExternalTrafficPolicyRule implements Rule {

    public static final String ID = "service-external-traffic-policy";

    private static final String LOCAL = "Local";
    private static final String CLUSTER = "Cluster";
    private static final String PATH = "/spec/externalTrafficPolicy";

    private final boolean includeNodePort;

    public ServiceExternalTrafficPolicyRule(boolean includeNodePort) {
        this.includeNodePort = includeNodePort;
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
        return subject.is("", "Service")
                && (subject.operation() == Operation.CREATE || subject.operation() == Operation.UPDATE);
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        JsonNode spec = subject.object().path("spec");
        String type = spec.path("type").asText("ClusterIP");
        boolean exposed = "LoadBalancer".equals(type) || (includeNodePort && "NodePort".equals(type));
        if (!exposed) {
            return Finding.skip(ID, "type " + type + " has no external traffic policy");
        }
        JsonNode policy = spec.get("externalTrafficPolicy");
        if (policy == null || policy.isNull()) {
            return Finding.mutate(ID, "set spec.externalTrafficPolicy=Local (was unset, which means Cluster)",
                    List.of(PatchOperation.add(PATH, TextNode.valueOf(LOCAL))));
        }
        if (CLUSTER.equals(policy.asText())) {
            return Finding.mutate(ID, "set spec.externalTrafficPolicy=Local (was Cluster)",
                    List.of(PatchOperation.replace(PATH, TextNode.valueOf(LOCAL))));
        }
        // Local complies; any other value is invalid and the API server rejects it on its own.
        return Finding.pass(ID);
    }
}
