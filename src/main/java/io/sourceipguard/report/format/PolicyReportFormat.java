package io.sourceipguard.report.format;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sourceipguard.report.PolicyReports;
import io.sourceipguard.report.Report;
import java.io.PrintStream;
import java.time.Instant;

/** PolicyReport and ClusterPolicyReport objects as multi-document YAML, ready for kubectl apply. */
public final class PolicyReportFormat implements ReportFormat {

    private static final YAMLMapper YAML = new YAMLMapper();

    @Override
    public void write(Report report, PrintStream out) {
        for (ObjectNode policyReport : PolicyReports.of(report, Instant.now())) {
            try {
                out.print(YAML.writeValueAsString(policyReport));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("a JSON tree always serialises", e);
            }
        }
    }
}
