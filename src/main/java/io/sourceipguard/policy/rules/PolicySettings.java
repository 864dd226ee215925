package io.sourceipguard.policy.rules;

/** The settings of every rule, built once from configuration. */
public record PolicySettings(boolean serviceIncludeNodePort, IngressPoolSettings ingressPool, MasqSettings masq) {
}
