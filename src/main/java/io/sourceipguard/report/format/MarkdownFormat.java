package io.sourceipguard.report.format;

import io.sourceipguard.report.Report;
import io.sourceipguard.report.ReportRow;
import java.io.PrintStream;

/** A Markdown table, for pull request comments and CI summaries. */
public final class MarkdownFormat implements ReportFormat {

    @Override
    public void write(Report report, PrintStream out) {
        StringBuilder text = new StringBuilder();
        text.append("| rule | kind | namespace/name | result | message |\n| --- | --- | --- | --- | --- |\n");
        for (ReportRow row : report.rows()) {
            text.append("| ")
                    .append(cell(row.rule()))
                    .append(" | ")
                    .append(cell(row.kind()))
                    .append(" | ")
                    .append(cell(row.objectName()))
                    .append(" | ")
                    .append(cell(row.result()))
                    .append(" | ")
                    .append(cell(row.message()))
                    .append(" |\n");
        }
        text.append('\n').append(TableFormat.summary(report)).append('\n');
        out.print(text);
    }

    private static String cell(String text) {
        return text.replace("\\", "\\\\").replace("|", "\\|").replace('\n', ' ');
    }
}
