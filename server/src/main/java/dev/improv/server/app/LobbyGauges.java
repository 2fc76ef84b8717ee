package dev.improv.server.app;

import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.LobbyRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToIntFunction;

/**
 * Lobby gauges for the dashboard, read at scrape time from each pool's published summary (a volatile snapshot
 * the pool's owner thread refreshes), so a scrape never waits for a pool's thread.
 */
final class LobbyGauges {
    private LobbyGauges() {
    }

    static void register(MeterRegistry registry, LobbyRegistry lobbies) {
        gauge(registry, lobbies, "improv_lobby_waiting", "Performers waiting in lobby pools, all pools",
                LobbyHub.Summary::waiting);
        gauge(registry, lobbies, "improv_lobby_offers", "Open match offers in lobby pools, all pools",
                LobbyHub.Summary::offers);
        Gauge.builder("improv_lobby_pools", lobbies, l -> l.all().size()).description("Open lobby pools")
                .register(registry);
    }

    private static void gauge(MeterRegistry registry, LobbyRegistry lobbies, String name, String description,
                              ToIntFunction<LobbyHub.Summary> value) {
        Gauge.builder(name, lobbies, l -> l.all().stream().map(LobbyHub::summary)
                        .filter(java.util.Objects::nonNull).mapToInt(value).sum())
                .description(description).register(registry);
    }
}
