package dev.improv.server.room;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * All open rooms of this server, by id. Thread-safe. Each new room is pinned to one owner executor taken
 * round-robin from {@code owners} (the transport passes its event loops, so rooms cost no extra threads).
 */
public final class RoomRegistry {
    private static final char[] ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final ConcurrentMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final Supplier<ScheduledExecutorService> owners;
    private final FrameFactory frames;
    private final MicrosClock clock;
    private final ServerMetrics metrics;
    private final SessionJournal journal;
    private final String serverVersion;
    private final SecureRandom random = new SecureRandom();
    /** Set once while the server is built, before any room exists. */
    private volatile RoomTap.Factory taps = room -> RoomTap.NONE;

    public RoomRegistry(Supplier<ScheduledExecutorService> owners, FrameFactory frames, MicrosClock clock,
                        ServerMetrics metrics, SessionJournal journal, String serverVersion) {
        this.owners = owners;
        this.frames = frames;
        this.clock = clock;
        this.metrics = metrics;
        this.journal = journal;
        this.serverVersion = serverVersion;
    }

    /**
     * Who sees the events of every room made or restored from now on, on the room's thread (live quality).
     * Composition root only, before the first room.
     */
    public void tapEvents(RoomTap.Factory factory) {
        this.taps = factory;
    }

    /** Opens a room with a fresh id and a fresh session. */
    public Room create(String name, RoomLimits limits) {
        return create(name, limits, RoomListener.NONE);
    }

    /** Opens a room whose scene and presence changes are told to {@code listener} (time accounting). */
    public Room create(String name, RoomLimits limits, RoomListener listener) {
        for (;;) {
            String id = randomId(10);
            Room candidate = rooms.computeIfAbsent(id, key -> newRoom(key, name, limits, listener));
            if (candidate.id().equals(id) && candidate.name().equals(name)) {
                return candidate;
            }
        }
    }

    private Room newRoom(String id, String name, RoomLimits limits, RoomListener listener) {
        String sessionId = sessionIdFor(id);
        Room room = new Room(id, name, sessionId, limits, owners.get(), frames, clock, metrics, journal,
                serverVersion, listener);
        room.tap(taps.open(room));
        metrics.roomOpened();
        return room;
    }

    private String sessionIdFor(String roomId) {
        // Sortable by start time, unique across restarts: yyyymmddThhmmssZ-room-random.
        String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.ofEpochSecond(clock.nowMicros() / 1_000_000));
        return stamp + "-" + roomId + "-" + randomId(4);
    }

    /**
     * Rebuilds a room from its folded log after a restart, under its old id and session, so that old links work
     * and members resume with {@code lastSeq}. A session whose log is damaged is closed as {@code crashed}
     * instead. Start-up only, before the server accepts connections.
     */
    public Room restore(RecoveredRoom r, RoomListener listener) {
        Room room = new Room(r.roomId(), r.roomName(), r.sessionId(), r.limits(), owners.get(), frames, clock,
                metrics, journal, serverVersion, listener, r);
        room.tap(taps.open(room));
        if (r.damage() != null || r.closed()) {
            room.execute(() -> room.closeCrashed(r.lastTs(), r.closed()));
            return null;
        }
        rooms.put(r.roomId(), room);
        metrics.roomOpened();
        room.execute(() -> room.restarted(r));
        return room;
    }

    public Room get(String id) {
        return rooms.get(id);
    }

    /**
     * Whether {@code participantId} is a current member of the open room {@code roomId} (joined, not removed, the
     * room not closed), read from the room's published snapshot. Any thread.
     */
    public boolean isMember(String roomId, String participantId) {
        Room room = rooms.get(roomId);
        if (room == null || participantId == null) {
            return false;
        }
        RoomSummary now = room.summary();
        return !now.closed() && now.roster().stream().anyMatch(m -> m.id().equals(participantId));
    }

    /** Whether the participant's recording consent is in the open room's session log. Any thread. */
    public boolean hasConsent(String roomId, String participantId) {
        Room room = rooms.get(roomId);
        return room != null && room.hasConsent(participantId);
    }

    public Collection<Room> all() {
        return List.copyOf(rooms.values());
    }

    /**
     * Closes a room on its owner thread and forgets it. Completes with false when there is no such room, with true
     * once its {@code room_closed} event is durable: an operator who closes a room and then exports its session
     * gets the whole log (CI saw an export of 0 events when the answer came before the close was even written).
     */
    public java.util.concurrent.CompletableFuture<Boolean> close(String id, String reason) {
        Room room = rooms.remove(id);
        if (room == null) {
            return java.util.concurrent.CompletableFuture.completedFuture(false);
        }
        java.util.concurrent.CompletableFuture<Boolean> closed = new java.util.concurrent.CompletableFuture<>();
        room.execute(() -> room.close(reason, ErrorCode.ROOM_CLOSED, () -> closed.complete(true)));
        metrics.roomClosed();
        return closed;
    }

    /**
     * Takes one room out of this registry without closing its session (see {@link Room#suspend}): its members are
     * disconnected with {@code code} and resume wherever the room lives now (a cluster node that lost the room).
     * False when there is no such room here.
     */
    public boolean suspend(String id, String reason, ErrorCode code) {
        Room room = rooms.remove(id);
        if (room == null) {
            return false;
        }
        metrics.roomClosed();
        room.execute(() -> room.suspend(reason, code));
        return true;
    }

    /**
     * Server shutdown when the log keeps rooms: disconnects every member of every room (see {@link Room#suspend})
     * and waits up to the timeout; the sessions stay open in the log for the next start.
     */
    public boolean suspendAll(String reason, ErrorCode code, long timeout, TimeUnit unit) throws InterruptedException {
        return removeAll(room -> room.suspend(reason, code), timeout, unit);
    }

    /** Closes every room (server shutdown) and waits up to the timeout for their owner threads to do it. */
    public boolean closeAll(String reason, ErrorCode code, long timeout, TimeUnit unit) throws InterruptedException {
        return removeAll(room -> room.close(reason, code), timeout, unit);
    }

    /** Takes every room out of the registry and runs {@code last} on its owner thread; waits for all of them. */
    private boolean removeAll(java.util.function.Consumer<Room> last, long timeout, TimeUnit unit)
            throws InterruptedException {
        List<Room> open = List.copyOf(rooms.values());
        CountDownLatch done = new CountDownLatch(open.size());
        for (Room room : open) {
            rooms.remove(room.id());
            metrics.roomClosed();
            room.execute(() -> {
                try {
                    last.accept(room);
                } finally {
                    done.countDown();
                }
            });
        }
        return done.await(timeout, unit);
    }

    private String randomId(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ID_ALPHABET[random.nextInt(ID_ALPHABET.length)];
        }
        return new String(out);
    }
}
