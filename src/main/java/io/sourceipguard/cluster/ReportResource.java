package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.report.format.JsonFormat;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /report}: the latest background scan, in the report command's JSON schema, for callers
 * the Kubernetes API authenticates and allows to get the non-resource URL {@code /report}
 * ({@link ReportAccess}). It lists every Service, workload, exemption and masq CIDR of the cluster.
 * Runs on a worker thread: the reviews are blocking API calls.
 */
@Path("/report")
public class ReportResource {

    private final ReportScanner scanner;
    private final ClusterView cluster;
    private final ReportAccess access;

    public ReportResource(
            ReportScanner scanner, ClusterView cluster, Instance<KubernetesClient> client, GuardConfig config) {
        this.scanner = scanner;
        this.cluster = cluster;
        this.access = new ReportAccess(
                new TokenReviewer(client::get),
                config.scan().accessCacheTtl(),
                config.scan().accessCacheSize(),
                System::nanoTime);
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response latest(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (!cluster.hasCluster()) {
            return error(
                            Response.Status.SERVICE_UNAVAILABLE,
                            "no Kubernetes API is configured (no kubeconfig, not in a cluster):"
                                    + " there is no scan to serve, and no API to check the caller's token with")
                    .build();
        }
        ReportAccess.Verdict verdict = access.check(authorization);
        switch (verdict.outcome()) {
            case UNAUTHENTICATED -> {
                return error(Response.Status.UNAUTHORIZED, verdict.message())
                        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                        .build();
            }
            case FORBIDDEN -> {
                return error(Response.Status.FORBIDDEN, verdict.message()).build();
            }
            case UNAVAILABLE -> {
                return error(Response.Status.SERVICE_UNAVAILABLE, verdict.message())
                        .build();
            }
            case ALLOWED -> {
                // the latest scan, below
            }
        }
        return scanner.latest()
                .map(scan -> {
                    ObjectNode body = JsonFormat.tree(scan.report());
                    body.put("scannedAt", scan.finishedAt().toString());
                    return Response.ok(body).build();
                })
                .orElseGet(() -> error(
                                Response.Status.SERVICE_UNAVAILABLE,
                                scanner.enabled()
                                        ? "the first scan has not finished yet; try again shortly"
                                        : "background scans are off; set sourceip-guard.scan.interval (e.g. 10m) to turn them on")
                        .build());
    }

    private static Response.ResponseBuilder error(Response.Status status, String message) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("code", status.getStatusCode());
        body.put("message", message);
        return Response.status(status).entity(body);
    }
}
