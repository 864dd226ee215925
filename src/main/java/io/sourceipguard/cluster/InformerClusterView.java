package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.masq.MasqAgent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The cluster as the rules see it, answered from informer caches so that no admission waits on
 * the API server. One informer per ip-masq-agent ConfigMap name: RBAC can then grant exactly
 * those names ({@code resourceNames}) instead of every ConfigMap in kube-system. Until the caches
 * have synced, or when no cluster is configured, every answer is "cannot tell".
 */
@ApplicationScoped
public class InformerClusterView implements ClusterView {

    private static final Logger LOG = Logger.getLogger(InformerClusterView.class);
    private static final long RESYNC_MILLIS = 10 * 60 * 1000L;

    // Resolved only when cluster work starts: creating the client loads hundreds of classes.
    private final Instance<KubernetesClient> client;
    private final GuardConfig config;
    private final List<SharedIndexInformer<ConfigMap>> masqInformers = new ArrayList<>();
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<Node> nodeInformer;
    private SharedIndexInformer<DaemonSet> agentInformer;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final NodeStore nodes = new NodeStore();
    private SharedIndexInformer<Service> serviceInformer;
    private final ServiceStore services = new ServiceStore();
    // Gateways (their class, annotations and parametersRef) and the routes' parentRefs, where the cluster serves them.
    private final GatewayApiCache<GatewayMeta> gateways =
            new GatewayApiCache<>("gateway.networking.k8s.io/v1", "Gateway", GatewayMeta::of);
    // IngressClasses and ingress-nginx's controller workloads: which Services front an Ingress's allow-list.
    private SharedIndexInformer<io.fabric8.kubernetes.api.model.networking.v1.IngressClass> ingressClassInformer;
    private SharedIndexInformer<io.fabric8.kubernetes.api.model.apps.Deployment> deploymentInformer;
    private SharedIndexInformer<DaemonSet> daemonSetInformer;
    private final ControllerStore<io.fabric8.kubernetes.api.model.apps.Deployment> deployments = new ControllerStore<>(
            "Deployment",
            meta -> new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                    .withMetadata(meta)
                    .build());
    private final ControllerStore<DaemonSet> daemonSets = new ControllerStore<>(
            "DaemonSet",
            meta -> new io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder()
                    .withMetadata(meta)
                    .build());
    private final List<GatewayApiCache<RouteMeta>> routes = List.of(
            new GatewayApiCache<>("gateway.networking.k8s.io/v1", "HTTPRoute", RouteMeta::of),
            new GatewayApiCache<>("gateway.networking.k8s.io/v1", "GRPCRoute", RouteMeta::of));
    private boolean hasCluster;
    // The informers started, by what they watch, until their first list completes or fails: readiness waits on them.
    private final Map<String, SharedIndexInformer<?>> awaited = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long watchStartedNanos;

    public InformerClusterView(Instance<KubernetesClient> client, GuardConfig config) {
        this.client = client;
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        if (!config.cluster().enabled()) {
            LOG.info(
                    "cluster access is disabled (sourceip-guard.cluster.enabled=false): sibling ip-masq-agent configs are not read");
            return;
        }
        if (!clusterConfigured()) {
            LOG.info(
                    "no Kubernetes API configured (no kubeconfig, not in a cluster): sibling ip-masq-agent configs are not read");
            return;
        }
        hasCluster = true;
        try {
            watch();
        } catch (RuntimeException e) {
            // A broken kubeconfig must not take admission down: the rules fall back as documented.
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            LOG.warnf(
                    "cannot read the cluster (%s); sibling configs and namespace labels are unknown",
                    root.getMessage());
            masqInformers.clear();
            awaited.clear();
            namespaces = null;
            nodeInformer = null;
            serviceInformer = null;
            agentInformer = null;
            ingressClassInformer = null;
            deploymentInformer = null;
            daemonSetInformer = null;
        }
    }

    private void watch() {
        watchStartedNanos = System.nanoTime();
        // Namespace labels carry modes and exemptions; read on every admission, so cached.
        namespaces = start(client.get().namespaces().runnableInformer(RESYNC_MILLIS), "Namespaces");
        // Node pools, taints and the pod network, for rules that must not pin to a missing pool
        // or demand a config that cuts egress; only labels, taints and pod CIDRs are kept.
        nodeInformer =
                start(client.get().nodes().runnableInformer(RESYNC_MILLIS).itemStore(nodes), "Nodes");
        // The Services in front of the entry points, for allow-lists that would see node IPs; only
        // LoadBalancer and NodePort Services are kept, and of them only type, policy, selector and labels.
        serviceInformer = start(
                client.get()
                        .services()
                        .inAnyNamespace()
                        .runnableInformer(RESYNC_MILLIS)
                        .itemStore(services),
                "Services");
        ingressClassInformer =
                start(client.get().network().v1().ingressClasses().runnableInformer(RESYNC_MILLIS), "IngressClasses");
        deploymentInformer = start(
                client.get()
                        .apps()
                        .deployments()
                        .inAnyNamespace()
                        .runnableInformer(RESYNC_MILLIS)
                        .itemStore(deployments),
                "Deployments");
        daemonSetInformer = start(
                client.get()
                        .apps()
                        .daemonSets()
                        .inAnyNamespace()
                        .runnableInformer(RESYNC_MILLIS)
                        .itemStore(daemonSets),
                "DaemonSets");
        // Istio's per-Gateway ConfigMaps and the routes behind an allow-list, for gateway-config and
        // allow-list-source-ip.
        gateways.start(client.get(), RESYNC_MILLIS);
        routes.forEach(r -> r.start(client.get(), RESYNC_MILLIS));
        String namespace = config.rules().masqueradeConfig().namespace();
        for (String name : config.rules().masqueradeConfig().names()) {
            masqInformers.add(start(
                    client.get()
                            .configMaps()
                            .inNamespace(namespace)
                            .withName(name)
                            .runnableInformer(RESYNC_MILLIS),
                    "ConfigMap " + namespace + "/" + name));
        }
        // The agents' DaemonSets say which keys of those ConfigMaps each agent really reads.
        agentInformer = start(
                client.get().apps().daemonSets().inNamespace(namespace).runnableInformer(RESYNC_MILLIS),
                "DaemonSets in " + namespace);
        LOG.infof(
                "watching ip-masq-agent ConfigMaps %s in %s via %s",
                config.rules().masqueradeConfig().names(),
                namespace,
                client.get().getMasterUrl());
    }

    // start() does not block: an unreachable API server must not delay startup (readiness waits, bounded).
    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> SharedIndexInformer<T> start(
            SharedIndexInformer<T> informer, String what) {
        awaited.put(what, informer);
        informer.start().whenComplete((ok, error) -> {
            if (error != null) {
                // The fallback for what it would have said is decided already; nothing to wait for.
                awaited.remove(what);
                LOG.warnf("cannot watch %s: %s", what, error.getMessage());
            }
        });
        return informer;
    }

    /** What the informers watch whose first list has not completed yet, sorted; empty without a cluster. */
    public List<String> unsynced() {
        List<String> waiting = new ArrayList<>();
        awaited.forEach((what, informer) -> {
            if (!informer.hasSynced()) {
                waiting.add(what);
            }
        });
        waiting.sort(null);
        return waiting;
    }

    /** How long ago the informers were started (zero when they never were). */
    public java.time.Duration sinceWatchStarted() {
        long started = watchStartedNanos;
        return started == 0 ? java.time.Duration.ZERO : java.time.Duration.ofNanos(System.nanoTime() - started);
    }

    void stop(@Observes ShutdownEvent event) {
        masqInformers.forEach(SharedIndexInformer::stop);
        if (namespaces != null) {
            namespaces.stop();
        }
        if (nodeInformer != null) {
            nodeInformer.stop();
        }
        if (serviceInformer != null) {
            serviceInformer.stop();
        }
        if (agentInformer != null) {
            agentInformer.stop();
        }
        gateways.stop();
        routes.forEach(GatewayApiCache::stop);
        for (SharedIndexInformer<?> informer :
                java.util.Arrays.asList(ingressClassInformer, deploymentInformer, daemonSetInformer)) {
            if (informer != null) {
                informer.stop();
            }
        }
    }

    @Override
    public Optional<List<IngressClassMeta>> ingressClasses() {
        if (ingressClassInformer == null || !ingressClassInformer.hasSynced()) {
            return Optional.empty();
        }
        return Optional.of(ingressClassInformer.getStore().list().stream()
                .map(c -> IngressClassMeta.of(JSON.valueToTree(c)))
                .toList());
    }

    @Override
    public Optional<List<ControllerMeta>> ingressControllers() {
        if (deploymentInformer == null
                || !deploymentInformer.hasSynced()
                || daemonSetInformer == null
                || !daemonSetInformer.hasSynced()) {
            return Optional.empty();
        }
        List<ControllerMeta> all = new ArrayList<>(deployments.controllers());
        all.addAll(daemonSets.controllers());
        return Optional.of(all);
    }

    @Override
    public Optional<List<GatewayMeta>> gateways() {
        return hasCluster ? gateways.list() : Optional.empty();
    }

    @Override
    public Optional<List<RouteMeta>> routes() {
        if (!hasCluster) {
            return Optional.empty();
        }
        List<RouteMeta> all = new ArrayList<>();
        for (GatewayApiCache<RouteMeta> kind : routes) {
            Optional<List<RouteMeta>> some = kind.list();
            if (some.isEmpty()) {
                return Optional.empty();
            }
            all.addAll(some.get());
        }
        return Optional.of(all);
    }

    @Override
    public Optional<List<ServiceMeta>> services() {
        if (serviceInformer == null || !serviceInformer.hasSynced()) {
            return Optional.empty();
        }
        return Optional.of(services.services());
    }

    // Off the request path in practice: only masq ConfigMap writes ask, and kube-system has few DaemonSets.
    @Override
    public Optional<List<MasqAgent>> masqAgents() {
        if (agentInformer == null || !agentInformer.hasSynced()) {
            return Optional.empty();
        }
        java.util.Set<String> names =
                java.util.Set.copyOf(config.rules().masqueradeConfig().names());
        List<MasqAgent> agents = new ArrayList<>();
        for (DaemonSet ds : agentInformer.getStore().list()) {
            MasqAgent agent = MasqAgent.fromDaemonSet(JSON.valueToTree(ds), names::contains);
            if (agent != null) {
                agents.add(agent);
            }
        }
        return Optional.of(agents);
    }

    @Override
    public Optional<List<NodeMeta>> nodes() {
        if (nodeInformer == null || !nodeInformer.hasSynced()) {
            return Optional.empty();
        }
        return Optional.of(nodes.nodes());
    }

    @Override
    public boolean hasCluster() {
        return hasCluster;
    }

    @Override
    public Optional<List<ConfigMapData>> configMaps(String namespace) {
        if (masqInformers.isEmpty()
                || !namespace.equals(config.rules().masqueradeConfig().namespace())) {
            return Optional.empty();
        }
        List<ConfigMapData> all = new ArrayList<>();
        for (SharedIndexInformer<ConfigMap> informer : masqInformers) {
            if (!informer.hasSynced()) {
                return Optional.empty();
            }
            for (ConfigMap cm : informer.getStore().list()) {
                Map<String, String> data =
                        new java.util.LinkedHashMap<>(cm.getData() == null ? Map.of() : cm.getData());
                if (cm.getBinaryData() != null) {
                    cm.getBinaryData().forEach((key, value) -> data.put(key, ConfigMapData.decode(value)));
                }
                all.add(new ConfigMapData(cm.getMetadata().getName(), data));
            }
        }
        return Optional.of(all);
    }

    @Override
    public Optional<NamespaceMeta> namespace(String name) {
        if (namespaces == null || !namespaces.hasSynced()) {
            return Optional.empty();
        }
        Namespace ns = namespaces.getStore().getByKey(name);
        if (ns == null) {
            return Optional.of(new NamespaceMeta(Map.of(), Map.of()));
        }
        Map<String, String> labels = ns.getMetadata().getLabels();
        Map<String, String> annotations = ns.getMetadata().getAnnotations();
        return Optional.of(
                new NamespaceMeta(labels == null ? Map.of() : labels, annotations == null ? Map.of() : annotations));
    }

    // fabric8 falls back to https://kubernetes.default.svc when nothing is configured, which on a
    // workstation only produces retries and log noise.
    private boolean clusterConfigured() {
        if (System.getenv("KUBERNETES_SERVICE_HOST") != null) {
            return true;
        }
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return true;
        }
        if (!client.get().getMasterUrl().toString().startsWith("https://kubernetes.default.svc")) {
            return true;
        }
        return Files.exists(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }
}
