package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.cluster.ReportScanner;
import io.sourceipguard.report.format.JsonFormat;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code GET /report}: the latest background scan, in the report command's JSON schema. */
@Path("/report")
public class ReportResource {

    private final ReportScanner scanner;

    public ReportResource(ReportScanner scanner) {
        this.scanner = scanner;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response latest() {
        return scanner.latest().map(scan -> {
            ObjectNode body = JsonFormat.tree(scan.report());
            body.put("scannedAt", scan.finishedAt().toString());
            return Response.ok(body).build();
        }).orElseGet(() -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("code", 503);
            body.put("message", scanner.enabled() ? "the first scan has not finished yet; try again shortly"
                    : "background scans are off; set sourceip-guard.scan.interval (e.g. 10m) to turn them on");
            return Response.status(Response.Status.SERVICE_UNAVAILABLE).entity(body).build();
        });
    }
}
