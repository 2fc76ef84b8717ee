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
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** The open pools of this server, by id. Thread-safe; each pool's hub is pinned to one owner executor. */
public final class LobbyRegistry {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LobbyRegistry.class);

    private final ConcurrentMap<String, LobbyHub> hubs = new ConcurrentHashMap<>();
    private final Supplier<ScheduledExecutorService> owners;
    private final RoomRegistry rooms;
    private final JoinLinks links;
    private final RoomLimits roomLimits;
    private final MicrosClock clock;
    private final long graceMs;
    private final LobbyJournal journal;
    /** Counts the log's requests for pool snapshots; every pool's tick reads it. Set once, before pools open. */
    private volatile LongSupplier snapshotRequests = () -> 0;
    /** Starts the media recorder in rooms of pools with {@code recordMedia}; set once at start, null: none. */
    private volatile LobbyHub.MediaRecording mediaRecording;
    /** Where pools' confirmed offers get their rooms; this node's registry unless the cluster sets another. */
    private volatile PoolRoomOpener roomOpener;

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
        this.roomOpener = PoolRoomOpener.local(rooms);
        this.links = links;
        this.roomLimits = roomLimits;
        this.clock = clock;
        this.graceMs = graceMs;
    }

    /**
     * From now on every pool writes a {@link PoolSnapshot} to the journal soon after {@code requests} moves (the
     * log counts its segment rolls there), if it wrote any fact since its last one. Call before pools open or are
     * restored; {@code requests} is read on the pools' thread and must not block.
     */
    public void snapshotWhen(LongSupplier requests) {
        this.snapshotRequests = requests;
    }

    /**
     * Opens a pool; returns null when one with this id is already open. Its {@code pool_opened} is handed to the
     * journal before the hub can be reached ({@link #get} sees it only once the mapping below has returned), so no
     * fact of a connection can come before it in the log. The journal's {@code record} never blocks.
     */
    public LobbyHub open(LobbyConfig config, int moderatorCapacity) {
        LobbyHub[] made = new LobbyHub[1];
        hubs.computeIfAbsent(config.pool(), id -> {
            journal.record(id, new LobbyFact.PoolOpened(config, moderatorCapacity));
            made[0] = newHub(config, moderatorCapacity);
            return made[0];
        });
        if (made[0] == null) {
            return null;
        }
        made[0].start();
        return made[0];
    }

    private LobbyHub newHub(LobbyConfig config, int moderatorCapacity) {
        LobbyHub hub = new LobbyHub(config, owners.get(), rooms, links, roomLimits, clock, graceMs, moderatorCapacity,
                journal, () -> snapshotRequests.getAsLong());
        hub.roomOpener((request, limits, times) -> roomOpener.open(request, limits, times));
        hub.mediaRecording(roomId -> {
            LobbyHub.MediaRecording recording = mediaRecording;
            if (recording != null) {
                recording.start(roomId);
            } else { // a pool opened with recordMedia, the server restarted without --media-recorder
                LOG.warn("lobby {}: room {} is not media-recorded: this server records no media", config.pool(),
                        roomId);
            }
        });
        return hub;
    }

    /** The limits of pools' rooms before each pool's room size (the server's room limits). */
    public RoomLimits roomLimits() {
        return roomLimits;
    }

    /** Where pools' rooms open from now on (cluster mode: on the node the cluster chooses). Before pools open. */
    public void openRoomsWith(PoolRoomOpener opener) {
        this.roomOpener = opener;
    }

    /**
     * Hands a room's time change to the pool {@code pool} if it is open here; false when it is not (the change is
     * not applied). {@code known} is told, on the pool's thread, whether the room is one of the pool's open rooms.
     */
    public boolean roomTime(String pool, RoomTime time, Consumer<Boolean> known) {
        LobbyHub hub = hubs.get(pool);
        if (hub == null) {
            return false;
        }
        hub.roomTime(time, known);
        return true;
    }

    /** How rooms of pools with {@code recordMedia} get their media recorder (the server's media feature). */
    public void mediaRecording(LobbyHub.MediaRecording recording) {
        this.mediaRecording = recording;
    }

    /**
     * Rebuilds a pool from its facts in log order (the first must be {@link LobbyFact.PoolOpened} or a
     * {@link PoolSnapshot}) and starts it. At start-up, before the server accepts connections, or in cluster mode
     * when this node takes the pool over from another (its lobby links reach it only once it is started). Returns
     * null when the facts do not open a pool, or one with its id is open here already.
     */
    public LobbyHub restore(List<LobbyFact> facts) {
        LobbyConfig config;
        int moderatorCapacity;
        if (!facts.isEmpty() && facts.get(0) instanceof LobbyFact.PoolOpened opened) {
            config = opened.config();
            moderatorCapacity = opened.moderatorCapacity();
        } else if (!facts.isEmpty() && facts.get(0) instanceof PoolSnapshot snapshot) {
            config = snapshot.config();
            moderatorCapacity = snapshot.moderatorCapacity();
        } else {
            return null;
        }
        LobbyHub hub = newHub(config, moderatorCapacity);
        hub.replay(facts);
        if (hubs.putIfAbsent(config.pool(), hub) != null) {
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

    /**
     * Stops one pool and forgets it on this server (cluster mode: another node holds its lease now and goes on with
     * it); its connections are closed with {@code SERVER_SHUTDOWN}, so that its members reconnect. Returns whether
     * it was open here.
     */
    public boolean drop(String pool) {
        LobbyHub hub = hubs.remove(pool);
        if (hub == null) {
            return false;
        }
        hub.stop();
        return true;
    }

    public LobbyHub get(String pool) {
        return hubs.get(pool);
    }

    public Collection<LobbyHub> all() {
        return List.copyOf(hubs.values());
    }

    /**
     * Closes one pool ({@link LobbyHub#close}): once it went through, the pool is gone from this registry (its id
     * may be opened again). {@code reply} gets null when no pool has this id, else the outcome, on the pool's thread.
     */
    public void close(String pool, Consumer<LobbyHub.Closed> reply) {
        LobbyHub hub = hubs.get(pool);
        if (hub == null) {
            reply.accept(null);
            return;
        }
        hub.close(outcome -> {
            if (!outcome.refused()) {
                hubs.remove(pool, hub);
            }
            reply.accept(outcome);
        });
    }

    /** Stops every pool's ticking and closes its connections (server shutdown). */
    public void closeAll() {
        for (LobbyHub hub : hubs.values()) {
            hub.stop();
        }
        hubs.clear();
    }
}
