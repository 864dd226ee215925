package io.sourceipguard;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sourceipguard.tls.CertsCommand;
import picocli.CommandLine;

/**
 * One executable, several jobs: with no arguments it serves the webhook; {@code certs} writes a
 * CA and serving certificate and exits without starting the server (so it opens no port).
 */
@QuarkusMain
public final class Main {

    private Main() {
    }

    public static void main(String... args) {
        if (args.length > 0 && "certs".equals(args[0])) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            System.exit(new CommandLine(new CertsCommand()).execute(rest));
        }
        Quarkus.run(args);
    }
}
