package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.improv.server.room.RoomLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registry's pool lifecycle as the log sees it: a pool's first fact is written before anyone can reach it. */
class LobbyRegistryTest {
    private final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    private final List<String> written = new ArrayList<>();
    private LobbyRegistry registry;

    @AfterEach
    void stop() {
        registry.closeAll();
        owner.shutdownNow();
    }

    @Test
    void poolOpenedIsWrittenBeforeThePoolCanBeReached() {
        registry = new LobbyRegistry(() -> owner, null, null, new RoomLimits(8, Map.of(), 30_000, 64),
                () -> 1_000_000L, 10_000, (pool, fact) -> {
                    // A connection finds the pool through get(); were it reachable now, its facts could precede this.
                    written.add(fact.getClass().getSimpleName() + " reachable=" + (registry.get(pool) != null));
                });
        LobbyHub hub = registry.open(LobbyConfig.of("p", 1, "consent"), 2);
        assertNotNull(hub);
        assertEquals(List.of("PoolOpened reachable=false"), written);
        assertEquals(hub, registry.get("p"));
        assertNull(registry.open(LobbyConfig.of("p", 1, "consent"), 2), "a second open of the same id");
        assertEquals(1, written.size(), "the refused open writes nothing");
    }
}
