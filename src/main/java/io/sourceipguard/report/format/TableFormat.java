package io.sourceipguard.report.format;

import io.sourceipguard.policy.Outcome;
import io.sourceipguard.report.Report;
import io.sourceipguard.report.ReportRow;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Aligned columns for a terminal, like kubectl's, with a summary line of counts. */
public final class TableFormat implements ReportFormat {

    private static final String[] HEADER = {"RULE", "KIND", "NAMESPACE/NAME", "RESULT", "MESSAGE"};

    @Override
    public void write(Report report, PrintStream out) {
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        for (ReportRow row : report.rows()) {
            lines.add(new String[] {row.rule(), row.kind(), row.objectName(), row.result(), row.message()});
        }
        out.print(align(lines));
        out.println(summary(report));
    }

    /** Columns padded to their widest cell, three spaces apart; the last column is not padded. */
    static String align(List<String[]> lines) {
        int[] widths = new int[lines.get(0).length - 1];
        for (String[] line : lines) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] line : lines) {
            for (int i = 0; i < widths.length; i++) {
                text.append(line[i]).append(" ".repeat(widths[i] - line[i].length() + 3));
            }
            text.append(line[widths.length].replace('\n', ' ')).append('\n');
        }
        return text.toString();
    }

    /** "3 objects, 9 findings: 1 pass, 2 mutate, 1 deny, 0 exempt, 5 skip". */
    static String summary(Report report) {
        long objects = report.rows().stream()
                .map(r -> r.source() + "\u0000" + r.objectName())
                .distinct()
                .count();
        Map<Outcome, Integer> counts = report.summary();
        return objects + " objects, " + report.rows().size() + " findings: "
                + counts.entrySet().stream()
                        .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", "));
    }
}
