package io.sourceipguard.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.sourceipguard.policy.rules.AllowListSourceIpRule;
import io.sourceipguard.policy.rules.GatewayConfigRule;
import io.sourceipguard.policy.rules.IngressNodePoolRule;
import io.sourceipguard.policy.rules.MasqueradeConfigRule;
import io.sourceipguard.policy.rules.ServiceExternalTrafficPolicyRule;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * All of sourceip-guard's configuration, under the prefix {@code sourceip-guard}. Every key
 * can be set as an environment variable ({@code SOURCEIP_GUARD_RULES_MASQUERADE_CONFIG_PROTECTED_CIDRS})
 * and is listed with its default in the README.
 */
@ConfigMapping(prefix = "sourceip-guard")
public interface GuardConfig {

    /** The mode of every rule that has no override: enforce, audit or off. */
    @WithDefault("enforce")
    String mode();

    /** HTTPS port of the admission endpoints. */
    @WithDefault("8443")
    int port();

    Rules rules();

    Exemptions exemptions();

    Tls tls();

    Admission admission();

    Cluster cluster();

    Shutdown shutdown();

    /**
     * SIGTERM: readiness goes DOWN at once, admissions are still answered for {@code delay} (each
     * with Connection: close, so callers move to another replica), then the listener closes and
     * requests in flight get up to {@code timeout} to finish. Wired into quarkus.shutdown.*.
     */
    interface Shutdown {
        /** Time for the load balancer to see readiness DOWN (kube-proxy, or a health-checking proxy). */
        @WithDefault("5s")
        java.time.Duration delay();

        /** Time for requests in flight to finish once the listener has closed. */
        @WithDefault("10s")
        java.time.Duration timeout();
    }

    /** One group per rule, named as the rule (rules.<rule id>); a new rule adds its group here and in {@link #byId}. */
    interface Rules {
        ServiceRule serviceExternalTrafficPolicy();

        IngressRule ingressNodePool();

        GatewayRule gatewayConfig();

        RuleGroup allowListSourceIp();

        MasqRule masqueradeConfig();

        /** Every rule's group by rule id (not a configuration key): where the modes are read. */
        default Map<String, RuleGroup> byId() {
            return Map.of(
                    ServiceExternalTrafficPolicyRule.ID,
                    serviceExternalTrafficPolicy(),
                    IngressNodePoolRule.ID,
                    ingressNodePool(),
                    GatewayConfigRule.ID,
                    gatewayConfig(),
                    AllowListSourceIpRule.ID,
                    allowListSourceIp(),
                    MasqueradeConfigRule.ID,
                    masqueradeConfig());
        }
    }

    /** What every rule's group has. */
    interface RuleGroup {
        /** Overrides the global mode for this rule: enforce, audit or off. */
        Optional<String> mode();
    }

    interface GatewayRule extends RuleGroup {
        /**
         * Where Istio's control plane runs: the only namespaces whose ConfigMaps labelled
         * gateway.istio.io/defaults-for-class it reads (istio-system; AKS's Istio add-on: aks-istio-system).
         */
        @WithDefault("istio-system,aks-istio-system")
        List<String> istioNamespaces();
    }

    interface ServiceRule extends RuleGroup {

        /** NodePort Services SNAT the same way as LoadBalancer ones. */
        @WithDefault("true")
        boolean includeNodePort();
    }

    interface IngressRule extends RuleGroup {
        @WithDefault("kubernetes.azure.com/agentpool")
        String poolLabelKey();

        @WithDefault("ingress")
        String poolLabelValue();

        /** Selectors that recognise an ingress controller workload (see README). */
        @WithDefault("app.kubernetes.io/name=ingress-nginx\\,app.kubernetes.io/component=controller,"
                + "app.kubernetes.io/name=traefik,"
                + "app=traefik,"
                + "app=envoy\\,image:projectcontour/contour,"
                + "app.kubernetes.io/name=contour\\,app.kubernetes.io/component=envoy,"
                + "app.kubernetes.io/name=kubernetes-ingress,"
                + "run=haproxy-ingress,"
                + "app.kubernetes.io/name=haproxy-ingress,"
                + "app.kubernetes.io/managed-by=envoy-gateway\\,app.kubernetes.io/component=proxy,"
                + "gateway.envoyproxy.io/owning-gateway-name,"
                + "gateway.networking.k8s.io/gateway-name,"
                + "annotation:gateway.networking.k8s.io/gateway-name,"
                + "app.kubernetes.io/name=cilium-envoy,"
                + "sourceip-guard.io/ingress-controller=true")
        List<String> selectors();

        Toleration toleration();
    }

    interface Toleration {
        /** Taint key of the ingress pool; no toleration is added when unset. */
        Optional<String> key();

        /** Taint value; unset tolerates any value (operator Exists). */
        Optional<String> value();

        /** Taint effect; empty tolerates every effect. */
        @WithDefault("NoSchedule")
        String effect();
    }

    interface MasqRule extends RuleGroup {
        @WithDefault("kube-system")
        String namespace();

        @WithDefault("azure-ip-masq-agent-config,azure-ip-masq-agent-config-reconciled,ip-masq-agent,"
                + "ip-masq-agent-config,ip-masq-agent-config-reconciled,azure-dns-imds-ip-masq-agent-config")
        List<String> names();

        /** Configs the platform writes and reconciles: judged and reported, never refused. */
        @WithDefault("azure-ip-masq-agent-config-reconciled,ip-masq-agent-config-reconciled,"
                + "azure-dns-imds-ip-masq-agent-config")
        List<String> platformNames();

        /**
         * How pods reach the outside: auto (read from the Nodes), routable (flat Azure CNI),
         * overlay (Azure CNI Overlay, Cilium overlay, kubenet) or pod-subnet.
         */
        @WithDefault("auto")
        String podNetwork();

        /** The cluster's own pod ranges on an overlay network; unset: learned from the Nodes and AKS's config. */
        Optional<List<String>> clusterCidrs();

        /** Destinations that answer only the node's own IP: IMDS and Azure's platform address (DNS, health). */
        @WithDefault("169.254.169.254/32,168.63.129.16/32")
        List<String> mustMasqueradeCidrs();

        /** Data keys read as config files: those starting with one of these... */
        @WithDefault("ip-masq")
        List<String> keyPrefixes();

        /** ...and those named exactly one of these. */
        @WithDefault("config")
        List<String> keyNames();

        /** Destinations that must see pod IPs: the union of nonMasqueradeCIDRs must cover them. */
        @WithDefault("0.0.0.0/0")
        List<String> protectedCidrs();

        /** The upstream agent's default cidrLimit. */
        @WithDefault("64")
        int cidrLimit();

        @WithDefault("false")
        boolean ipv6Enabled();
    }

    interface Exemptions {
        /** Users who may grant exemptions and namespace modes. */
        Optional<List<String>> adminUsers();

        /** Groups whose members may grant exemptions and namespace modes. */
        @WithDefault("system:masters")
        List<String> adminGroups();

        /** Platform identities whose requests bypass the rules, so the webhook never fights the platform. */
        Optional<List<String>> systemUsers();
    }

    interface Tls {
        @WithDefault("certs/tls.crt")
        String certFile();

        @WithDefault("certs/tls.key")
        String keyFile();

        /**
         * In a cluster: issue the CA and serving certificate into a Secret, patch the caBundle of the
         * webhook configurations, renew before expiry. Otherwise the files are provided (make certs, cert-manager).
         */
        @WithDefault("false")
        boolean selfManaged();

        /** The Secret holding ca.crt, tls.crt and tls.key (self-managed). */
        @WithDefault("sourceip-guard-tls")
        String secretName();

        /** The webhook's Service, for the certificate's DNS names (self-managed). */
        @WithDefault("sourceip-guard")
        String serviceName();

        /** The Mutating- and ValidatingWebhookConfiguration whose caBundle is kept current (self-managed). */
        @WithDefault("sourceip-guard")
        String webhookConfiguration();

        /** Validity of a serving certificate. */
        @WithDefault("30d")
        java.time.Duration validity();

        /** Validity of the CA, which signs many serving certificates. */
        @WithDefault("3650d")
        java.time.Duration caValidity();

        /** Renew the serving certificate when it expires within this window. */
        @WithDefault("10d")
        java.time.Duration renewBefore();

        /** How often the certificate is checked: renewed when due, reloaded when its files changed. */
        @WithDefault("1h")
        java.time.Duration checkInterval();

        /**
         * The TLS implementation: {@code openssl} (BoringSSL, bundled for Linux x86-64 and arm64;
         * the JDK's is used where it cannot load, such as a native executable) or {@code jdk}.
         */
        @WithDefault("openssl")
        String engine();
    }

    interface Admission {
        /**
         * Largest review read whole and judged with the objects. A larger one is judged from who asks
         * for what (its first bytes) and refused where an enforced rule would look at it.
         */
        @WithDefault("3M")
        MemorySize maxBodySize();

        /**
         * Largest review received at all (413 past it). An UPDATE review holds two objects of up to
         * etcd's 1.5 MiB each, with <, > and & escaped to six bytes: about 18 MiB at worst.
         */
        @WithDefault("24M")
        MemorySize maxReviewSize();

        /**
         * A denial is logged once per object, operation and rules within this window, then with the
         * count of repeats; 0s logs every one. A controller retrying a denied apply cannot flood the log.
         */
        @WithDefault("60s")
        java.time.Duration denialLogInterval();
    }

    interface Cluster {
        /** Read sibling configs and namespace labels from the Kubernetes API (informer caches). */
        @WithDefault("true")
        boolean enabled();

        /** The webhook's own namespace: its Lease, its Secret. */
        @WithDefault("sourceip-guard")
        String namespace();

        /**
         * Readiness waits at most this long for the informer caches' first list; then the webhook is ready and
         * answers what it cannot read from the cluster with the documented fallbacks.
         */
        @WithDefault("30s")
        java.time.Duration syncTimeout();
    }

    Scan scan();

    interface Scan {
        /** How often the running webhook reports on the whole cluster (e.g. 10m); unset: never. */
        Optional<java.time.Duration> interval();

        /** Keep wgpolicyk8s.io PolicyReports up to date with each scan (one replica writes, by Lease). */
        @WithDefault("true")
        boolean writePolicyReports();

        /** How long a verdict on a bearer token for GET /report is kept (per token hash); 0s: never. */
        @WithDefault("10s")
        java.time.Duration accessCacheTtl();

        /** The most tokens whose verdicts are kept; the oldest go first. */
        @WithDefault("1000")
        int accessCacheSize();
    }
}
