package io.sourceipguard.testing;

import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.masq.MasqAgent;
import java.util.List;
import java.util.Optional;

/** A ClusterView that answers as {@code base} does; tests override the facts they add. */
public class DelegatingClusterView implements ClusterView {

    private final ClusterView base;

    public DelegatingClusterView(ClusterView base) {
        this.base = base;
    }

    @Override
    public Optional<List<ConfigMapData>> configMaps(String namespace) {
        return base.configMaps(namespace);
    }

    @Override
    public Optional<NamespaceMeta> namespace(String name) {
        return base.namespace(name);
    }

    @Override
    public Optional<List<NodeMeta>> nodes() {
        return base.nodes();
    }

    @Override
    public Optional<List<ServiceMeta>> services() {
        return base.services();
    }

    @Override
    public Optional<List<MasqAgent>> masqAgents() {
        return base.masqAgents();
    }

    @Override
    public Optional<List<GatewayMeta>> gateways() {
        return base.gateways();
    }

    @Override
    public Optional<List<RouteMeta>> routes() {
        return base.routes();
    }

    @Override
    public Optional<List<IngressClassMeta>> ingressClasses() {
        return base.ingressClasses();
    }

    @Override
    public Optional<List<ControllerMeta>> ingressControllers() {
        return base.ingressControllers();
    }

    @Override
    public boolean hasCluster() {
        return base.hasCluster();
    }
}
