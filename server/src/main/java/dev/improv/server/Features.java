package dev.improv.server;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.transport.ImprovServer;

/** Chooses the optional features for a configuration (see {@link ImprovServer.Features}). */
final class Features {
    private Features() {
    }

    static ImprovServer.Features forConfig(ServerConfig config, ServerMetrics metrics) {
        return ImprovServer.Features.none();
    }
}
