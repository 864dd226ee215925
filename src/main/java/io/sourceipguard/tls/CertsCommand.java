package io.sourceipguard.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code certs}: writes a CA and a serving certificate for the webhook into a directory. */
@Command(
        name = "certs",
        mixinStandardHelpOptions = true,
        description = "Create a CA (kept if present: bring your own by placing ca.crt and ca.key) and a serving "
                + "certificate for sourceip-guard, with SANs localhost, 127.0.0.1 and the in-cluster Service names.")
public final class CertsCommand implements Callable<Integer> {

    @Option(
            names = "--dir",
            defaultValue = "certs",
            description = "Directory for ca.crt, ca.key, tls.crt, tls.key (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--service",
            defaultValue = "sourceip-guard",
            description = "Service name of the webhook (default: ${DEFAULT-VALUE}).")
    String service;

    @Option(
            names = "--namespace",
            defaultValue = "sourceip-guard",
            description = "Namespace of the webhook Service (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(
            names = "--days",
            defaultValue = "365",
            description = "Validity of the serving certificate in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(
            names = "--ca-days",
            defaultValue = "3650",
            description = "Validity of a new CA in days (default: ${DEFAULT-VALUE}).")
    int caDays;

    @Option(names = "--force", description = "Reissue the serving certificate even when it is still valid.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (days <= 0 || caDays <= 0) {
            System.err.println("certs: --days and --ca-days must be positive");
            return 2;
        }
        for (String line : WebhookCertificates.ensure(
                dir,
                service,
                namespace,
                Duration.ofDays(caDays),
                Duration.ofDays(days),
                Duration.ofDays(Math.min(30, days / 3)),
                force)) {
            System.out.println(line);
        }
        return 0;
    }
}
