package io.sourceipguard.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes API server that accepts connections and never answers: the worst case for a
 * webhook, worse than one that refuses (which fails fast). Also issues the test certificates.
 */
public class BlackHoleApiServer implements QuarkusTestResourceLifecycleManager {

    private ServerSocket server;
    private final List<Socket> held = new ArrayList<>();
    private Thread acceptor;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new java.util.HashMap<>(new TestCertificates().start());
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try {
                            Socket socket = server.accept();
                            synchronized (held) {
                                held.add(socket); // read nothing, write nothing
                            }
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                "black-hole-api-server");
        acceptor.setDaemon(true);
        acceptor.start();
        config.put("sourceip-guard.cluster.enabled", "true");
        // Readiness waits this long for the caches' first list, which never comes here.
        config.put("sourceip-guard.cluster.sync-timeout", "0s");
        config.put("quarkus.kubernetes-client.api-server-url", "https://127.0.0.1:" + server.getLocalPort());
        config.put("quarkus.kubernetes-client.trust-certs", "true");
        return config;
    }

    @Override
    public void stop() {
        try {
            server.close();
            synchronized (held) {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
