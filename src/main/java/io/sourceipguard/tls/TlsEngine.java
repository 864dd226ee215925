package io.sourceipguard.tls;

import io.quarkus.runtime.ImageMode;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.sourceipguard.config.GuardConfig;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Picks the HTTPS server's TLS implementation ({@code sourceip-guard.tls.engine}). OpenSSL by
 * default: with the JDK's engine every TLS record written allocates a fresh 16 kB heap buffer,
 * which was a third of the CPU per admission and most of the garbage (docs/benchmarks.md).
 */
@ApplicationScoped
public class TlsEngine implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(TlsEngine.class);

    private final GuardConfig config;

    public TlsEngine(GuardConfig config) {
        this.config = config;
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        String wanted = config.tls().engine().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "jdk" -> options.setSslEngineOptions(new JdkSSLEngineOptions());
            case "openssl" -> {
                if (ImageMode.current() != ImageMode.NATIVE_RUN && OpenSSLEngineOptions.isAvailable()) {
                    options.setSslEngineOptions(new OpenSSLEngineOptions());
                } else {
                    LOG.infof(
                            "TLS engine: OpenSSL cannot be loaded here (%s); using the JDK's",
                            ImageMode.current() == ImageMode.NATIVE_RUN
                                    ? "native executable"
                                    : "no netty-tcnative for this platform");
                    options.setSslEngineOptions(new JdkSSLEngineOptions());
                }
            }
            default ->
                throw new IllegalArgumentException(
                        "sourceip-guard.tls.engine is '" + config.tls().engine() + "': write openssl or jdk");
        }
    }
}
