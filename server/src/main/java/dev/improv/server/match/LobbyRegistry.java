package dev.improv.server.match;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/** The open pools of this server, by id. Thread-safe; each pool's hub is pinned to one owner executor. */
public final class LobbyRegistry {
    private final ConcurrentMap<String, LobbyHub> hubs = new ConcurrentHashMap<>();
    private final Supplier<ScheduledExecutorService> owners;
    private final RoomRegistry rooms;
    private final JoinLinks links;
    private final RoomLimits roomLimits;
    private final MicrosClock clock;
    private final long graceMs;
    private final LobbyJournal journal;

    public LobbyRegistry(Supplier<ScheduledExecutorService> owners, RoomRegistry rooms, JoinLinks links,
                         RoomLimits roomLimits, MicrosClock clock, long graceMs) {
        this(owners, rooms, links, roomLimits, clock, graceMs, LobbyJournal.NONE);
    }

    /** Pools whose facts go to {@code journal}, so that {@link #restore} can rebuild them after a restart. */
    public LobbyRegistry(Supplier<ScheduledExecutorService> owners, RoomRegistry rooms, JoinLinks links,
                         RoomLimits roomLimits, MicrosClock clock, long graceMs, LobbyJournal journal) {
        this.journal = journal;
        this.owners = owners;
        this.rooms = rooms;
        this.links = links;
        this.roomLimits = roomLimits;
        this.clock = clock;
        this.graceMs = graceMs;
    }

    /** Opens a pool; returns null when one with this id is already open. */
    public LobbyHub open(LobbyConfig config, int moderatorCapacity) {
        LobbyHub hub = newHub(config, moderatorCapacity);
        if (hubs.putIfAbsent(config.pool(), hub) != null) {
            return null;
        }
        journal.record(config.pool(), new LobbyFact.PoolOpened(config, moderatorCapacity));
        hub.start();
        return hub;
    }

    private LobbyHub newHub(LobbyConfig config, int moderatorCapacity) {
        return new LobbyHub(config, owners.get(), rooms, links, roomLimits, clock, graceMs, moderatorCapacity,
                journal);
    }

    /**
     * Rebuilds a pool from its facts in log order (the first must be {@link LobbyFact.PoolOpened}) and starts it.
     * Start-up only, before the server accepts connections. Returns null when the facts do not open a pool.
     */
    public LobbyHub restore(List<LobbyFact> facts) {
        if (facts.isEmpty() || !(facts.get(0) instanceof LobbyFact.PoolOpened opened)) {
            return null;
        }
        LobbyHub hub = newHub(opened.config(), opened.moderatorCapacity());
        hub.replay(facts.subList(1, facts.size()));
        if (hubs.putIfAbsent(opened.config().pool(), hub) != null) {
            return null;
        }
        hub.start();
        return hub;
    }

    /** The time listener of a room some pool opened before a restart; {@code RoomListener.NONE} otherwise. */
    public dev.improv.server.room.RoomListener recoveredRoomListener(String roomId) {
        for (LobbyHub hub : hubs.values()) {
            dev.improv.server.room.RoomListener l = hub.recoveredRoomListener(roomId);
            if (l != null) {
                return l;
            }
        }
        return dev.improv.server.room.RoomListener.NONE;
    }

    public LobbyHub get(String pool) {
        return hubs.get(pool);
    }

    public Collection<LobbyHub> all() {
        return List.copyOf(hubs.values());
    }

    /** Stops every pool's ticking and closes its connections (server shutdown). */
    public void closeAll() {
        for (LobbyHub hub : hubs.values()) {
            hub.stop();
        }
        hubs.clear();
    }
}
