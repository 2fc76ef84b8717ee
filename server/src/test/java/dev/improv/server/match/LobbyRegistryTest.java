package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.improv.server.room.RoomLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's pool lifecycle as the log sees it: a pool's first fact is written before anyone can reach it, and
 * a close is answered only once it is durable.
 */
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

    @Test
    void aCloseIsAnsweredOnlyOnceItsFactIsDurable() throws Exception {
        AtomicReference<Runnable> pendingDurability = new AtomicReference<>();
        registry = new LobbyRegistry(() -> owner, null, null, new RoomLimits(8, Map.of(), 30_000, 64),
                () -> 1_000_000L, 10_000, new LobbyJournal() {
                    @Override
                    public void record(String pool, LobbyFact fact) {
                        written.add(fact.getClass().getSimpleName());
                    }

                    @Override
                    public void record(String pool, LobbyFact fact, Runnable onDurable) {
                        record(pool, fact);
                        pendingDurability.set(onDurable); // the disk has not said yet
                    }
                });
        assertNotNull(registry.open(LobbyConfig.of("p", 1, "consent"), 2));
        CompletableFuture<LobbyHub.Closed> answer = new CompletableFuture<>();
        registry.close("p", answer::complete);
        owner.submit(() -> { }).get(5, TimeUnit.SECONDS); // the pool's thread has run the close
        assertEquals("PoolClosed", written.get(written.size() - 1));
        assertNotNull(pendingDurability.get(), "the close fact asks to hear of its durability");
        Thread.sleep(50);
        assertFalse(answer.isDone(), "no answer before the close is durable");
        pendingDurability.get().run();
        LobbyHub.Closed closed = answer.get(5, TimeUnit.SECONDS);
        assertEquals("p", closed.pool());
        assertFalse(closed.refused());
    }
}
