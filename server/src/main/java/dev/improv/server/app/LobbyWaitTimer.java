package dev.improv.server.app;

import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.room.MicrosClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lobby's wait time for the dashboard ({@code improv_lobby_wait_seconds}): from a performer's "queue me" to
 * the room made from the match they accepted. A performer who leaves or declines first is not counted (that is a wait that
 * ended without a room, seen as {@code improv_lobby_waiting} going down). Decorates the pools' journal, so it
 * sees exactly the facts the pools act on; runs on the lobby thread: a map update and a timer record.
 */
final class LobbyWaitTimer implements LobbyJournal {
    private final LobbyJournal delegate;
    private final MicrosClock clock;
    private final Timer waited;
    /** "pool pid" → epoch millis of the Joined fact. Bounded by the performers queued in all pools. */
    private final Map<String, Long> joinedAt = new ConcurrentHashMap<>();

    LobbyWaitTimer(LobbyJournal delegate, MicrosClock clock, MeterRegistry registry) {
        this.delegate = delegate;
        this.clock = clock;
        this.waited = Timer.builder("improv_lobby_wait_seconds")
                .description("Time from a performer's queueing in a lobby pool to the room made from their match")
                // a dozen buckets a person reads (seconds to an hour), not Micrometer's ~55 default ones
                .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
                        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
                        Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1))
                .register(registry);
    }

    @Override
    public void record(String pool, LobbyFact fact) {
        delegate.record(pool, fact);
        observe(pool, fact);
    }

    @Override
    public void record(String pool, LobbyFact fact, Runnable onDurable) {
        delegate.record(pool, fact, onDurable);
        observe(pool, fact);
    }

    private void observe(String pool, LobbyFact fact) {
        if (fact instanceof LobbyFact.Joined j) {
            joinedAt.put(pool + " " + j.pid(), j.now());
        } else if (fact instanceof LobbyFact.Left l) {
            joinedAt.remove(pool + " " + l.pid());
        } else if (fact instanceof LobbyFact.Declined d) {
            joinedAt.remove(pool + " " + d.pid()); // who declines leaves the queue; the partner keeps its place
        } else if (fact instanceof LobbyFact.RoomOpened r) {
            long now = clock.nowMicros() / 1000;
            for (String pid : r.pids()) {
                Long since = joinedAt.remove(pool + " " + pid);
                if (since != null) {
                    waited.record(Duration.ofMillis(Math.max(0, now - since)));
                }
            }
        }
    }
}
