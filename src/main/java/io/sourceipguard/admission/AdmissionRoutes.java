package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.Rule;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The admission door: AdmissionReview v1 in, AdmissionReview v1 out, as two plain Vert.x routes
 * on the event loop (the whole review is decided in memory in microseconds, so a JAX-RS layer or
 * a worker thread would only add cost; see docs/benchmarks.md). A body it cannot read is a 4xx
 * (a failed call: the webhook's failurePolicy decides); a policy violation is a normal 200
 * answer with {@code allowed: false}. A review over the body limit is not a failed call, which
 * failurePolicy Ignore would let through: its first bytes name who asks for what, and the engine
 * answers that with a verdict ({@link PolicyEngine#unread}) while the rest is counted and dropped.
 * Only a review over {@code max-review-size}, more than any API server sends, is a 413 (refused
 * before the body by {@link BodyLimitFilter} when its length is declared).
 */
@ApplicationScoped
public class AdmissionRoutes {

    private static final Logger LOG = Logger.getLogger(AdmissionRoutes.class);
    private static final String JSON = "application/json";

    private final PolicyEngine engine;
    private final ClusterView cluster;
    private final AdmissionRequestDecoder decoder;
    private final AdmissionResponses responses;
    private final ObjectMapper json;
    private final AdmissionMetrics metrics;
    private final long maxBody;
    private final long maxReview;
    private final DenialLog denials;

    // The start of an oversized review kept to read who asks for what: the request's fields
    // before its objects take a few hundred bytes; 64 KiB leaves room for long group lists.
    private static final int PREFIX = 64 * 1024;

    public AdmissionRoutes(
            PolicyEngine engine, ClusterView cluster, ObjectMapper json, AdmissionMetrics metrics, GuardConfig config) {
        this.engine = engine;
        this.cluster = cluster;
        this.json = json;
        this.metrics = metrics;
        this.decoder = new AdmissionRequestDecoder(json);
        this.responses = new AdmissionResponses(json);
        this.maxBody = config.admission().maxBodySize().asLongValue();
        this.maxReview = Math.max(maxBody, config.admission().maxReviewSize().asLongValue());
        this.denials = new DenialLog(config.admission().denialLogInterval(), System::nanoTime);
    }

    // Set when SIGTERM starts the shutdown delay: every answer then closes its connection, so the API
    // server's kept-alive connections leave this replica while it still answers, before the listener closes.
    private volatile boolean draining;

    void drain(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.info(
                "shutting down: readiness is DOWN, admissions are answered with Connection: close until the listener closes");
    }

    void install(@Observes Router router) {
        // Right after BodyLimitFilter: the REST layer's and Quarkus' common handlers (a second Content-Length
        // check, request attributes for JAX-RS) have nothing to do for a review and cost every request.
        // Mutating rules: Services and ingress controller workloads.
        router.post("/mutate").order(Integer.MIN_VALUE + 1).handler(ctx -> receive(ctx, "mutate", Rule.Phase.MUTATING));
        // Validating rules: ip-masq-agent configs.
        router.post("/validate")
                .order(Integer.MIN_VALUE + 2)
                .handler(ctx -> receive(ctx, "validate", Rule.Phase.VALIDATING));
    }

    private void receive(RoutingContext ctx, String endpoint, Rule.Phase phase) {
        HttpServerRequest request = ctx.request();
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith(JSON)) {
            error(
                    ctx,
                    endpoint,
                    415,
                    "Content-Type is '" + contentType + "': send the AdmissionReview as application/json");
            return;
        }
        Body body = new Body();
        long[] oversized = {0};
        request.handler(chunk -> {
            if (ctx.response().ended()) {
                return;
            }
            if (oversized[0] > 0 || body.length() + chunk.length() > maxBody) {
                if (oversized[0] == 0) {
                    oversized[0] = body.length();
                    body.keepFirst(PREFIX, chunk);
                }
                oversized[0] += chunk.length();
                if (oversized[0] > maxReview) {
                    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                    error(ctx, endpoint, 413, BodyLimitFilter.overLimit("body", maxReview));
                }
                return;
            }
            body.add(chunk);
        });
        request.endHandler(end -> {
            if (ctx.response().ended()) {
                return;
            }
            if (oversized[0] > 0) {
                unread(ctx, endpoint, body.bytes(), oversized[0], phase);
            } else {
                review(ctx, endpoint, body.bytes(), phase);
            }
        });
        request.exceptionHandler(e -> LOG.debugf("%s: request body not received: %s", endpoint, e.getMessage()));
    }

    private void review(RoutingContext ctx, String endpoint, byte[] body, Rule.Phase phase) {
        long start = System.nanoTime();
        AdmissionRequestDecoder.Decoded request;
        try {
            request = decoder.decode(body);
        } catch (BadAdmissionReviewException e) {
            error(ctx, endpoint, 400, e.getMessage());
            return;
        }
        AdmissionSubject subject = request.subject();
        answer(ctx, endpoint, request.uid(), subject, () -> engine.evaluate(subject, cluster, phase), start);
    }

    /** Decides and answers one request: the verdict as a 200 review, or a 500 that names the uid. */
    private void answer(
            RoutingContext ctx,
            String endpoint,
            String uid,
            AdmissionSubject subject,
            java.util.function.Supplier<Decision> decide,
            long start) {
        // Every log line of this request carries its uid; objects and keys are never logged.
        MDC.put("uid", uid);
        try {
            Decision decision = decide.get();
            if (!decision.allowed()) {
                denials.denied(subject, decision);
            }
            send(ctx.response().setStatusCode(200), responses.encode(uid, decision));
            metrics.record(endpoint, subject, decision, System.nanoTime() - start);
        } catch (RuntimeException e) {
            // Our fault, not the caller's: details go to the log only, keyed by the request uid.
            LOG.errorf(e, "internal error evaluating admission request uid=%s", uid);
            error(ctx, endpoint, 500, "internal error evaluating request " + uid + "; the webhook log has the details");
        } finally {
            MDC.remove("uid");
        }
    }

    // Too large to read whole: judged from who asks for what (the prefix), never a failed call.
    private void unread(RoutingContext ctx, String endpoint, byte[] prefix, long size, Rule.Phase phase) {
        long start = System.nanoTime();
        ReviewPrefix.Read request = ReviewPrefix.read(json.getFactory(), prefix);
        if (request == null) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            error(
                    ctx,
                    endpoint,
                    413,
                    BodyLimitFilter.overLimit("body of " + size + " bytes", maxBody)
                            + ", and its start names no AdmissionReview request to answer");
            return;
        }
        String why = String.format(
                Locale.ROOT,
                "the review is %.1f MiB, over the %.1f MiB sourceip-guard reads"
                        + " (sourceip-guard.admission.max-body-size)",
                size / 1048576.0,
                maxBody / 1048576.0);
        AdmissionSubject subject = request.subject();
        answer(ctx, endpoint, request.uid(), subject, () -> engine.unread(subject, cluster, phase, why), start);
    }

    private void error(RoutingContext ctx, String endpoint, int status, String message) {
        metrics.rejected(endpoint, status);
        ObjectNode body = json.createObjectNode();
        body.put("code", status);
        body.put("message", message);
        send(ctx.response().setStatusCode(status), body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    // Wrapped, not copied: Buffer.buffer(byte[]) would copy into a freshly allocated buffer.
    private void send(HttpServerResponse response, byte[] body) {
        if (draining) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(Buffer.buffer(Unpooled.wrappedBuffer(body)));
    }

    /** The request body as it arrives: a review usually comes in one chunk, which is kept as is. */
    private static final class Body {
        private Buffer first;
        private Buffer rest;

        int length() {
            return (first == null ? 0 : first.length()) + (rest == null ? 0 : rest.length());
        }

        /** Keeps only the first {@code limit} bytes of what was received and of {@code chunk}. */
        void keepFirst(int limit, Buffer chunk) {
            Buffer all = first == null
                    ? Buffer.buffer()
                    : (rest == null ? first.copy() : first.copy().appendBuffer(rest));
            if (all.length() < limit) {
                all.appendBuffer(chunk.slice(0, Math.min(chunk.length(), limit - all.length())));
            }
            first = all.length() > limit ? all.slice(0, limit).copy() : all;
            rest = null;
        }

        void add(Buffer chunk) {
            if (first == null) {
                first = chunk;
            } else {
                if (rest == null) {
                    rest = Buffer.buffer(first.length() * 2);
                }
                rest.appendBuffer(chunk);
            }
        }

        byte[] bytes() {
            if (first == null) {
                return new byte[0];
            }
            return rest == null
                    ? first.getBytes()
                    : first.copy().appendBuffer(rest).getBytes();
        }
    }
}
