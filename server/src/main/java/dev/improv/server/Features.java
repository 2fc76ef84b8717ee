package dev.improv.server;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.http.SessionLogFeatures;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.transport.ImprovServer;
import dev.improv.server.webhook.WebhookFeatures;

/** Chooses the optional features for a configuration (see {@link ImprovServer.Features}). */
public final class Features {
    private Features() {
    }

    /**
     * With {@code sessionLog} on: the session log writer as the rooms' journal, plus the session export API; with
     * {@code --webhooks}: signed webhooks around them.
     */
    public static ImprovServer.Features forConfig(ServerConfig config, ServerMetrics metrics) {
        ImprovServer.Features base = config.sessionLog() ? new SessionLogFeatures(config, metrics)
                : ImprovServer.Features.none();
        // webhooks wrap the journal of the features below them
        return config.webhooks().file() == null ? base : new WebhookFeatures(config, metrics, base);
    }
}
