package io.sourceipguard.policy.rules;

/**
 * The settings of every rule, built once from configuration. {@code istioNamespaces}: where Istio's control plane
 * runs, the only namespaces whose class-default ConfigMaps it reads (rule gateway-config).
 */
public record PolicySettings(
        boolean serviceIncludeNodePort,
        IngressPoolSettings ingressPool,
        MasqSettings masq,
        java.util.List<String> istioNamespaces) {
    public PolicySettings {
        istioNamespaces = java.util.List.copyOf(istioNamespaces);
    }
}
