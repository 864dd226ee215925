package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.NonBlocking;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.Rule;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The admission door: AdmissionReview v1 in, AdmissionReview v1 out. A body it cannot read is
 * a 4xx (a failed call: the webhook's failurePolicy decides); a policy violation is a normal
 * 200 answer with {@code allowed: false}. Bodies over the limit are refused with 413 by the HTTP
 * layer before they are buffered ({@code quarkus.http.limits.max-body-size}).
 */
@Path("/")
public class AdmissionResource {

    private static final Logger LOG = Logger.getLogger(AdmissionResource.class);

    private final PolicyEngine engine;
    private final ClusterView cluster;
    private final AdmissionRequestDecoder decoder;
    private final AdmissionResponses responses;
    private final ObjectMapper json;

    private final AdmissionMetrics metrics;

    public AdmissionResource(PolicyEngine engine, ClusterView cluster, ObjectMapper json, AdmissionMetrics metrics) {
        this.engine = engine;
        this.cluster = cluster;
        this.json = json;
        this.metrics = metrics;
        this.decoder = new AdmissionRequestDecoder(json);
        this.responses = new AdmissionResponses(json);
    }

    /** Mutating rules: Services and ingress controller workloads. */
    @POST
    @Path("mutate")
    @NonBlocking
    public Response mutate(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return review("mutate", contentType, body, Rule.Phase.MUTATING);
    }

    /** Validating rules: ip-masq-agent configs. */
    @POST
    @Path("validate")
    @NonBlocking
    public Response validate(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return review("validate", contentType, body, Rule.Phase.VALIDATING);
    }

    private Response review(String endpoint, String contentType, byte[] body, Rule.Phase phase) {
        long start = System.nanoTime();
        if (contentType != null && !contentType.toLowerCase(java.util.Locale.ROOT).startsWith(MediaType.APPLICATION_JSON)) {
            return error(endpoint, Response.Status.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type is '" + contentType + "': send the AdmissionReview as application/json");
        }
        AdmissionRequestDecoder.Decoded request;
        try {
            request = decoder.decode(body);
        } catch (BadAdmissionReviewException e) {
            return error(endpoint, Response.Status.BAD_REQUEST, e.getMessage());
        }
        // Every log line of this request carries its uid; objects and keys are never logged.
        MDC.put("uid", request.uid());
        try {
            Decision decision = engine.evaluate(request.subject(), cluster, phase);
            if (!decision.allowed()) {
                LOG.infof("denied %s %s %s: %s", request.subject().operation(), request.subject().kind(),
                        request.subject().displayName(), decision.auditAnnotations().keySet());
            }
            Response response = Response.ok(responses.from(request.uid(), decision), MediaType.APPLICATION_JSON_TYPE).build();
            metrics.record(endpoint, request.subject(), decision, System.nanoTime() - start);
            return response;
        } catch (RuntimeException e) {
            // Our fault, not the caller's: details go to the log only, keyed by the request uid.
            LOG.errorf(e, "internal error evaluating admission request uid=%s", request.uid());
            return error(endpoint, Response.Status.INTERNAL_SERVER_ERROR,
                    "internal error evaluating request " + request.uid() + "; the webhook log has the details");
        } finally {
            MDC.remove("uid");
        }
    }

    private Response error(String endpoint, Response.Status status, String message) {
        metrics.rejected(endpoint, status.getStatusCode());
        ObjectNode body = json.createObjectNode();
        body.put("code", status.getStatusCode());
        body.put("message", message);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }
}
