package dev.improv.server;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.http.SessionLogFeatures;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.transport.ImprovServer;

/** Chooses the optional features for a configuration (see {@link ImprovServer.Features}). */
public final class Features {
    private Features() {
    }

    /** With {@code sessionLog} on: the session log writer as the rooms' journal, plus the session export API. */
    public static ImprovServer.Features forConfig(ServerConfig config, ServerMetrics metrics) {
        if (config.sessionLog()) {
            return new SessionLogFeatures(config, metrics);
        }
        return ImprovServer.Features.none();
    }
}
