package io.sourceipguard.report.format;

import io.sourceipguard.report.Report;
import java.io.PrintStream;

/** One way to print a report. */
public interface ReportFormat {

    void write(Report report, PrintStream out);

    /** The format for a {@code -o} value, or null when there is none of that name. */
    static ReportFormat named(String name) {
        return switch (name) {
            case "table" -> new TableFormat();
            case "json" -> new JsonFormat();
            case "markdown" -> new MarkdownFormat();
            case "policyreport" -> new PolicyReportFormat();
            default -> null;
        };
    }
}
