package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.Rule;
import java.util.List;
import java.util.Optional;

/**
 * LoadBalancer (and by default NodePort) Services get {@code externalTrafficPolicy: Local}:
 * with {@code Cluster} every node forwards and SNATs, so the client IP is lost and every node
 * needs lateral access. ClusterIP, headless and ExternalName Services have no such field.
 * A Service whose controller would write the field back is admitted unchanged with a warning
 * that names the source to set instead ({@link ReconcilingOwner}).
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
        Finding fix;
        if (policy == null || policy.isNull()) {
            fix = Finding.mutate(
                    ID,
                    "set spec.externalTrafficPolicy=Local (was unset, which means Cluster)",
                    List.of(PatchOperation.add(PATH, TextNode.valueOf(LOCAL))));
        } else if (CLUSTER.equals(policy.asText())) {
            fix = Finding.mutate(
                    ID,
                    "set spec.externalTrafficPolicy=Local (was Cluster)",
                    List.of(PatchOperation.replace(PATH, TextNode.valueOf(LOCAL))));
        } else {
            // Local complies; any other value is invalid and the API server rejects it on its own.
            return Finding.pass(ID);
        }
        // A controller that writes the field back would loop against our patch: steer the source. No fix
        // either, so that report --write-fixed does not write what the controller would undo.
        Optional<String> owner =
                ReconcilingOwner.steer(subject.object(), ReconcilingOwner.Field.EXTERNAL_TRAFFIC_POLICY);
        if (owner.isPresent()) {
            return Finding.warn(ID, "left as is: " + owner.get() + " (would " + fix.message() + ")");
        }
        Optional<String> helm =
                ReconcilingOwner.helmValue(subject.object(), ReconcilingOwner.Field.EXTERNAL_TRAFFIC_POLICY);
        return fix.outcome() == Outcome.MUTATE && helm.isPresent() ? fix.withNote(helm.get()) : fix;
    }
}
