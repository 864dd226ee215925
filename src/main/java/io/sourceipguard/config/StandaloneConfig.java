package io.sourceipguard.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;

/**
 * Reads {@link GuardConfig} without booting Quarkus, with the same sources and defaults
 * (environment, system properties, application.properties): for commands that open no port,
 * and for plain unit tests, so that neither repeats a default.
 */
public final class StandaloneConfig {

    private StandaloneConfig() {}

    /** The configuration with the given keys overridden (e.g. {@code sourceip-guard.mode=audit}). */
    public static GuardConfig load(Map<String, String> overrides) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultSources()
                .addDiscoveredSources()
                .withSources(new PropertiesConfigSource(overrides, "overrides", 1000))
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(java.time.Duration.class, 100, new io.quarkus.runtime.configuration.DurationConverter())
                .withMapping(GuardConfig.class)
                .withValidateUnknown(false)
                .build();
        return config.getConfigMapping(GuardConfig.class);
    }
}
