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

    public LobbyRegistry(Supplier<ScheduledExecutorService> owners, RoomRegistry rooms, JoinLinks links,
                         RoomLimits roomLimits, MicrosClock clock, long graceMs) {
        this.owners = owners;
        this.rooms = rooms;
        this.links = links;
        this.roomLimits = roomLimits;
        this.clock = clock;
        this.graceMs = graceMs;
    }

    /** Opens a pool; returns null when one with this id is already open. */
    public LobbyHub open(LobbyConfig config, int moderatorCapacity) {
        LobbyHub hub = new LobbyHub(config, owners.get(), rooms, links, roomLimits, clock, graceMs, moderatorCapacity);
        if (hubs.putIfAbsent(config.pool(), hub) != null) {
            return null;
        }
        hub.start();
        return hub;
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
