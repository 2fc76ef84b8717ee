package dev.improv.server.match;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyMessage;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomListener;
import dev.improv.server.room.RoomRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool's lobby, live: connections of waiting performers and available moderators, a periodic tick of the
 * pure {@link Lobby}, and the rooms it confirms (consent written into each room's log before anyone gets a
 * link). Owned by one thread like a room: every method except {@link #execute} and {@link #summary} runs there.
 */
public final class LobbyHub {
    private static final Logger LOG = LoggerFactory.getLogger(LobbyHub.class);
    static final long TICK_MS = 250;

    /** A pool at a glance, for other threads (admin API). */
    public record Summary(String pool, int consentVersion, int waiting, int offers, int connected,
                          List<LobbyMessage.RoomRef> rooms) {
    }

    private record Member(String id, String name, Role role, MemberConnection connection) {
    }

    /**
     * What closing the pool did ({@link #close}): refused while rooms made by it are open ({@code openRooms}: their
     * scene time is this pool's to count), else every performer's final time accounting and day lines, how many
     * connections were told and how many open offers ended.
     */
    public record Closed(String pool, long closedAt, List<String> openRooms, int connectionsTold, int offersEnded,
                         List<TimeAccounting.PerformerTime> performers, List<TimeAccounting.DayTime> days) {
        public boolean refused() {
            return !openRooms.isEmpty();
        }
    }

    static final String CLOSED_REASON = "the pool was closed by the operator";

    private final PoolFold fold;
    private final ScheduledExecutorService owner;
    private final JoinLinks links;
    private final RoomLimits roomLimits;
    private final MicrosClock clock;
    private final long graceMs;
    private final LobbyJournal journal;
    /** Counts the log's requests for snapshots (segment rolls); read on the owner thread at each tick. */
    private final LongSupplier snapshotRequests;

    // ---- owner thread only ----
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, ScheduledFuture<?>> graceTimers = new HashMap<>();
    private ScheduledFuture<?> ticker;
    /** Facts written since this pool's last snapshot (a pool with none has nothing to snapshot). */
    private long factsSinceSnapshot;
    /** The value of {@link #snapshotRequests} the last snapshot answered. */
    private long snapshotRequestSeen;
    /**
     * Starts the server-side media recorder in a room a pool opened (pools with {@code recordMedia}). Never blocks:
     * the recorder joins on its own threads.
     */
    @FunctionalInterface
    public interface MediaRecording {
        void start(String roomId);
    }

    /** Set before {@link #start} (the hand-off to the owner thread publishes it); null: no media recording. */
    private MediaRecording mediaRecording;
    /** Set before {@link #start}, like {@link #mediaRecording}. */
    private PoolRoomOpener roomOpener;

    /** Set once {@link #close} went through: connections and requests are refused from then on. */
    private boolean closed;

    /** Written on the owner thread, read by any. */
    private volatile Summary summary;

    /** The media recording for this pool's rooms with {@code recordMedia}; before {@link #start}. */
    void mediaRecording(MediaRecording recording) {
        this.mediaRecording = recording;
    }

    /** Where confirmed offers get their rooms (cluster: any node); before {@link #start}. This node's by default. */
    void roomOpener(PoolRoomOpener opener) {
        this.roomOpener = opener;
    }

    public LobbyHub(LobbyConfig config, ScheduledExecutorService owner, RoomRegistry rooms, JoinLinks links,
                    RoomLimits roomLimits, MicrosClock clock, long graceMs, int moderatorCapacity) {
        this(config, owner, rooms, links, roomLimits, clock, graceMs, moderatorCapacity, LobbyJournal.NONE, () -> 0);
    }

    /**
     * A hub whose facts go to {@code journal} (the node's log), so that a restart can rebuild it. Whenever
     * {@code snapshotRequests} has moved since the last snapshot (the log rolled a segment), the next tick writes a
     * {@link PoolSnapshot} to the journal if any fact was written since the last one.
     */
    public LobbyHub(LobbyConfig config, ScheduledExecutorService owner, RoomRegistry rooms, JoinLinks links,
                    RoomLimits roomLimits, MicrosClock clock, long graceMs, int moderatorCapacity,
                    LobbyJournal journal, LongSupplier snapshotRequests) {
        this.journal = journal;
        this.snapshotRequests = snapshotRequests;
        this.snapshotRequestSeen = snapshotRequests.getAsLong();
        this.factsSinceSnapshot = 1; // its pool_opened
        this.fold = new PoolFold(config, moderatorCapacity);
        this.owner = owner;
        this.roomOpener = PoolRoomOpener.local(rooms);
        this.links = links;
        this.roomLimits = roomLimits.withMaxFor(Role.PERFORMER, config.rules().roomSize());
        this.clock = clock;
        this.graceMs = graceMs;
        refreshSummary();
    }

    /** Starts the periodic matching. */
    public void start() {
        execute(() -> ticker = owner.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS));
    }

    private void tick() {
        long now = nowMs();
        LobbyFact.Ticked ticked = new LobbyFact.Ticked(now);
        List<LobbyEvent> events = fold.apply(ticked);
        if (!events.isEmpty()) {
            record(ticked);
        }
        dispatch(events);
        long requests = snapshotRequests.getAsLong();
        if (requests != snapshotRequestSeen) {
            snapshotRequestSeen = requests;
            if (factsSinceSnapshot > 0) {
                writeSnapshot();
            }
        }
    }

    /**
     * Writes this pool's whole state to the journal as one {@link PoolSnapshot}: a restart starts from it, and
     * the log no longer needs the facts before it. On the owner thread, so it is exactly the fold of every fact
     * written before it (they are all written here) and of none after it.
     */
    void writeSnapshot() {
        journal.record(pool(), fold.snapshot());
        factsSinceSnapshot = 0;
    }

    public void stop() {
        execute(() -> {
            if (ticker != null) {
                ticker.cancel(false);
            }
            for (Member m : members.values()) {
                m.connection().close(ErrorCode.SERVER_SHUTDOWN, "the lobby is closing");
            }
            members.clear();
        });
    }

    /**
     * Closes the pool on its thread, unless a room it made is still open (then nothing changes and the answer
     * names the rooms). Every performer leaves — a {@code left} fact each, which ends an offer it holds and closes
     * its open lobby and offer time —, every moderator goes ({@code moderator_gone}), then {@code pool_closed} is
     * written. Each connected performer holding an offer gets {@code offer_ended} (cause {@code pool_closed}, not
     * requeued), everyone connected gets {@code lobby_left} with {@link #CLOSED_REASON} and is disconnected with
     * {@code POOL_NOT_FOUND} (4415); grace timers stop and the pool stops ticking. {@code reply} runs on the pool's
     * thread with the outcome.
     */
    public void close(Consumer<Closed> reply) {
        execute(() -> closeNow(reply));
    }

    /**
     * Closes the pool at once; {@code reply} gets the final statement only once the close is durable (on this
     * pool's thread), so that a crash after the operator's answer never brings the pool and its open intervals back.
     */
    private void closeNow(Consumer<Closed> reply) {
        long now = nowMs();
        List<String> open = fold.matchedRooms().stream().map(PoolFold.MatchedRoom::roomId).toList();
        if (closed || !open.isEmpty()) {
            reply.accept(new Closed(pool(), now, open, 0, 0, List.of(), List.of()));
            return;
        }
        closed = true;
        java.util.Set<String> offers = new java.util.LinkedHashSet<>();
        for (String pid : List.copyOf(fold.lobby().performerIds())) {
            for (LobbyEvent e : input(new LobbyFact.Left(pid, now))) {
                if (e instanceof LobbyEvent.OfferExpired x && offers.add(x.offerId())) {
                    LobbyMessage.OfferEnded ended = new LobbyMessage.OfferEnded(x.offerId(), "pool_closed", false);
                    x.droppedPids().forEach(p -> send(p, ended));
                    x.requeuedPids().forEach(p -> send(p, ended));
                }
            }
        }
        for (String mid : List.copyOf(fold.lobby().moderatorIds())) {
            input(new LobbyFact.ModeratorGone(mid, now));
        }
        Closed[] statement = new Closed[1]; // set below, before the task that answers can run on this thread
        LobbyFact.PoolClosed fact = new LobbyFact.PoolClosed(now);
        journal.record(pool(), fact, () -> execute(() -> reply.accept(statement[0])));
        factsSinceSnapshot++;
        fold.apply(fact);
        int told = members.size();
        for (Member m : members.values()) {
            m.connection().send(new LobbyMessage.Left(CLOSED_REASON));
            m.connection().close(ErrorCode.POOL_NOT_FOUND, CLOSED_REASON);
        }
        members.clear();
        graceTimers.values().forEach(t -> t.cancel(false));
        graceTimers.clear();
        if (ticker != null) {
            ticker.cancel(false);
        }
        List<TimeAccounting.PerformerTime> times = new ArrayList<>();
        List<TimeAccounting.DayTime> days = new ArrayList<>();
        for (String pid : fold.performersSeen()) {
            times.add(fold.lobby().timeAccounting().snapshot(pid, now));
            days.addAll(fold.lobby().timeAccounting().days(pid, now));
        }
        long lobbyMs = times.stream().mapToLong(TimeAccounting.PerformerTime::lobbyMs).sum();
        long offerMs = times.stream().mapToLong(TimeAccounting.PerformerTime::offerMs).sum();
        long sceneMs = times.stream().mapToLong(TimeAccounting.PerformerTime::sceneMs).sum();
        LOG.info("lobby {}: closed by the operator; {} connections told, {} open offers ended; time accounting of "
                        + "{} performers closed at {} (lobby {} ms, offer {} ms, scene {} ms in all)", pool(), told,
                offers.size(), times.size(), now, lobbyMs, offerMs, sceneMs);
        refreshSummary();
        statement[0] = new Closed(pool(), now, List.of(), told, offers.size(), times, days);
    }

    public String pool() {
        return fold.lobby().config().pool();
    }

    public Summary summary() {
        return summary;
    }

    /** Runs a task on the owner thread. */
    public void execute(Runnable task) {
        try {
            owner.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.warn("lobby {}: owner thread refused work (shutting down)", pool());
        }
    }

    /** Reads this pool's time accounting on the owner thread and hands the answer to {@code reply} there. */
    public void timeOf(String pid, Consumer<TimeAccounting.PerformerTime> reply) {
        execute(() -> reply.accept(fold.lobby().timeAccounting().snapshot(pid, nowMs())));
    }

    /** Every performer this pool has seen, with their time. */
    public void allTimes(Consumer<List<TimeAccounting.PerformerTime>> reply) {
        execute(() -> {
            long now = nowMs();
            List<TimeAccounting.PerformerTime> out = new ArrayList<>();
            for (String pid : fold.performersSeen()) {
                out.add(fold.lobby().timeAccounting().snapshot(pid, now));
            }
            reply.accept(out);
        });
    }

    /** Every performer's time per UTC day (pay statement lines), read on the owner thread. */
    public void allDays(Consumer<List<TimeAccounting.DayTime>> reply) {
        execute(() -> {
            long now = nowMs();
            List<TimeAccounting.DayTime> out = new ArrayList<>();
            for (String pid : fold.performersSeen()) {
                out.addAll(fold.lobby().timeAccounting().days(pid, now));
            }
            reply.accept(out);
        });
    }

    // ------------------------------------------------------------------ connections

    /** A verified lobby token connected. Performers then send {@code lobby_join}; moderators are available. */
    public void connect(String pid, String name, Role role, MemberConnection conn) {
        if (closed) { // it found the pool just before the close took it away
            conn.close(ErrorCode.POOL_NOT_FOUND, CLOSED_REASON);
            return;
        }
        Member previous = members.get(pid);
        if (previous != null && previous.connection() != conn) {
            previous.connection().close(ErrorCode.REPLACED, "this participant connected again elsewhere");
        }
        ScheduledFuture<?> grace = graceTimers.remove(pid);
        if (grace != null) {
            grace.cancel(false);
        }
        members.put(pid, new Member(pid, name, role, conn));
        input(new LobbyFact.Connected(pid, name, role));
        LobbyConfig config = fold.lobby().config();
        conn.send(new LobbyMessage.Welcome(ServerMessage.PROTOCOL_VERSION, pool(),
                new ServerMessage.Member(pid, name, role, true, false),
                new LobbyMessage.Consent(config.consentVersion(), config.consentText()),
                clock.nowMicros()));
        PoolFold.MatchedRoom alreadyMatched = fold.matchedRoomOf(pid);
        if (role == Role.PERFORMER && alreadyMatched != null) {
            sendRoomLink(pid, alreadyMatched, Role.PERFORMER); // lost the connection between match and link
        }
        if (role == Role.MODERATOR) {
            dispatch(input(new LobbyFact.ModeratorAvailable(pid, fold.moderatorCapacity())));
            for (PoolFold.MatchedRoom r : fold.matchedRooms()) {
                if (pid.equals(r.moderator())) {
                    sendRoomLink(pid, r, Role.MODERATOR);
                }
            }
            conn.send(state());
        }
        refreshSummary();
    }

    /** One request from a connected lobby member. */
    public void handle(String pid, MemberConnection conn, LobbyRequest request) {
        Member m = members.get(pid);
        if (closed || m == null || m.connection() != conn) {
            return;
        }
        if (m.role() != Role.PERFORMER) {
            conn.send(new ServerMessage.Error(ErrorCode.NOT_AUTHORIZED, "type",
                    "only performers queue in a lobby; moderators are available while connected", null));
            return;
        }
        long now = nowMs();
        PoolFold.MatchedRoom matched = fold.matchedRoomOf(pid);
        if (matched != null && request instanceof LobbyRequest.Join) {
            sendRoomLink(pid, matched, Role.PERFORMER); // already matched: the room, not the queue
            return;
        }
        if (request instanceof LobbyRequest.Join j) {
            Preferences prefs = new Preferences(new HashSet<>(j.languages()), new HashSet<>(j.tags()),
                    j.wantsTagOverlap(), new HashSet<>(j.avoid()));
            dispatch(input(new LobbyFact.Joined(pid, prefs.languages(), prefs.tags(), prefs.wantsTagOverlap(),
                    prefs.avoid(), j.consentVersion(), now)));
        } else if (request instanceof LobbyRequest.Leave) {
            dispatch(input(new LobbyFact.Left(pid, now)));
        } else if (request instanceof LobbyRequest.Accept a) {
            dispatch(input(new LobbyFact.Accepted(pid, a.offerId(), now)));
        } else if (request instanceof LobbyRequest.Decline d) {
            dispatch(input(new LobbyFact.Declined(pid, d.offerId(), now)));
        }
        refreshSummary();
    }

    /** The connection dropped: the place in the queue is kept for the grace period, then given up. */
    public void connectionLost(String pid, MemberConnection conn) {
        Member m = members.get(pid);
        if (m == null || m.connection() != conn) {
            return;
        }
        members.remove(pid);
        startGrace(pid, m.role());
        refreshSummary();
    }

    private void startGrace(String pid, Role role) {
        graceTimers.put(pid, owner.schedule(() -> {
            graceTimers.remove(pid);
            if (!members.containsKey(pid)) {
                long now = nowMs();
                dispatch(input(role == Role.MODERATOR ? new LobbyFact.ModeratorGone(pid, now)
                        : new LobbyFact.Left(pid, now)));
                refreshSummary();
            }
        }, graceMs, TimeUnit.MILLISECONDS));
    }

    // ------------------------------------------------------------------ facts: written live, folded on restart

    /** Writes a fact to the log, then applies it (the same step a restart runs). */
    private List<LobbyEvent> input(LobbyFact fact) {
        record(fact);
        return fold.apply(fact);
    }

    private void record(LobbyFact fact) {
        journal.record(pool(), fact);
        factsSinceSnapshot++;
    }

    /**
     * Folds this pool's facts back in after a restart, in log order, before {@link #start}: the queue, offers,
     * matches, rooms, partner history and time accounting come back as they were. The facts may start with a
     * {@link PoolSnapshot} (or hold one anywhere): folding goes on from it. Nobody is connected yet, so nothing
     * is sent and no room is opened. Runs on the caller's thread before the hub is shared (the executor hand-off
     * of {@link #start} publishes the state).
     */
    public void replay(List<LobbyFact> facts) {
        for (LobbyFact fact : facts) {
            try {
                fold.apply(fact);
            } catch (RuntimeException e) { // a fact the lobby refuses (it was written by another version)
                LOG.warn("lobby {}: fact {} could not be applied, skipped: {}", pool(), fact, e.toString());
            }
        }
        factsSinceSnapshot = 0;
        for (int i = facts.size() - 1; i >= 0 && !(facts.get(i) instanceof PoolSnapshot); i--) {
            factsSinceSnapshot++;
        }
        if (factsSinceSnapshot > 0) {
            snapshotRequestSeen = snapshotRequests.getAsLong() - 1; // the first tick writes one: older facts can go
        }
        // Offers open at the crash get back the time the server was down (at most: since the last fact); waiting
        // time and places need nothing (see docs/protocol.md, Lobby, "Across a server restart").
        long lastFact = fold.lastFactAt();
        if (lastFact > 0) {
            fold.lobby().resumeAfterDowntime(nowMs() - lastFact);
        }
        // Everyone the pool knew is disconnected now: each keeps its place for the grace period, as after a drop.
        for (String pid : fold.lobby().performerIds()) {
            startGrace(pid, Role.PERFORMER);
        }
        for (String mid : fold.lobby().moderatorIds()) {
            startGrace(mid, Role.MODERATOR);
        }
        refreshSummary();
    }

    /** The time listener of a room this pool opened before a restart, or null when it is not one of ours. */
    public RoomListener recoveredRoomListener(String roomId) {
        String offerId = fold.offerOfRoom(roomId);
        return offerId == null ? null : timeListener(offerId);
    }

    /**
     * A scene or presence change of one of this pool's rooms that runs on another node (cluster mode), applied on
     * the hub's thread as the room's own listener would apply it; {@code known} is told there whether the room is
     * one of this pool's open rooms (false: a closed or unknown room; nothing applied).
     */
    public void roomTime(RoomTime time, Consumer<Boolean> known) {
        execute(() -> { // applied here and now: a repeat that follows finds the room closed already, if it was
            String offerId = fold.offerOfRoom(time.roomId());
            if (offerId != null) {
                applyRoomTime(offerId, time);
            }
            known.accept(offerId != null);
        });
    }

    // ------------------------------------------------------------------ lobby events to messages and rooms

    private void dispatch(List<LobbyEvent> events) {
        for (LobbyEvent event : events) {
            if (event instanceof LobbyEvent.Queued q) {
                send(q.pid(), new LobbyMessage.Queued(q.position(), q.estimatedWaitMs()));
            } else if (event instanceof LobbyEvent.PositionChanged q) {
                send(q.pid(), new LobbyMessage.Queued(q.position(), q.estimatedWaitMs()));
            } else if (event instanceof LobbyEvent.Left l) {
                send(l.pid(), new LobbyMessage.Left("left the lobby"));
            } else if (event instanceof LobbyEvent.Offered o) {
                LobbyMessage.Offer offer = new LobbyMessage.Offer(o.offerId(), o.pids(), o.moderatorId(), o.expiresAt(),
                        people(o.pids(), o.moderatorId()));
                o.pids().forEach(pid -> send(pid, offer));
                if (o.moderatorId() != null) {
                    send(o.moderatorId(), offer);
                }
            } else if (event instanceof LobbyEvent.Accepted) {
                continue; // the performer's page already shows "waiting for the others"
            } else if (event instanceof LobbyEvent.Confirmed c) {
                openRoom(c);
            } else if (event instanceof LobbyEvent.OfferExpired x) {
                String cause = x.cause().name().toLowerCase();
                x.droppedPids().forEach(pid -> send(pid, new LobbyMessage.OfferEnded(x.offerId(), cause, false)));
                x.requeuedPids().forEach(pid -> send(pid, new LobbyMessage.OfferEnded(x.offerId(), cause, true)));
            } else if (event instanceof LobbyEvent.Refused r) {
                boolean consent = r.reason() == LobbyEvent.RefusalReason.CONSENT_VERSION_MISMATCH;
                send(r.pid(), new ServerMessage.Error(consent ? ErrorCode.CONSENT_REQUIRED : ErrorCode.OFFER_UNAVAILABLE,
                        consent ? "consentVersion" : "offerId", consent
                        ? "accept the current consent text (version " + fold.lobby().config().consentVersion()
                        + ") to queue"
                        : "this offer is no longer open (" + r.reason().name().toLowerCase() + ")", null));
            } else if (event instanceof LobbyEvent.ModeratorMissing mm) {
                LOG.warn("lobby {}: offer or room {} has no moderator and none is free", pool(), mm.offerId());
            } else if (event instanceof LobbyEvent.ModeratorAssigned ma) {
                PoolFold.MatchedRoom r = fold.matchedRoom(ma.offerId()); // the fold gave it its new moderator
                if (r != null) {
                    sendRoomLink(ma.moderatorId(), r, Role.MODERATOR);
                }
            }
        }
        broadcastStateToModerators();
    }

    /**
     * Everyone accepted: open the room (here, or in cluster mode on the node the opener chooses), with each
     * performer's consent written into its log before any link exists (consent comes first in the log), then send
     * every performer and the moderator a room link.
     */
    private void openRoom(LobbyEvent.Confirmed c) {
        LobbyConfig config = fold.lobby().config();
        PoolRoomOpener.Request request = new PoolRoomOpener.Request(pool(), c.offerId(), pool() + " · " + c.offerId(),
                config.rules().roomSize(), c.consentRecords(), config.recordMedia());
        CompletableFuture<String> opened = roomOpener.open(request, roomLimits, timeListener(c.offerId()));
        if (opened.isDone()) { // on one node: at once, in this tick
            roomOpened(c, request, opened.join());
            return;
        }
        // the cluster's opener places the room itself and opens it on this node when the chosen one is silent
        opened.whenComplete((roomId, error) -> execute(() -> {
            if (error != null) {
                LOG.error("lobby {}: no room opened for offer {}", pool(), c.offerId(), error);
                return;
            }
            roomOpened(c, request, roomId);
            broadcastStateToModerators();
        }));
    }

    private void roomOpened(LobbyEvent.Confirmed c, PoolRoomOpener.Request request, String roomId) {
        input(new LobbyFact.RoomOpened(c.offerId(), roomId, c.pids(), c.moderatorId()));
        if (request.recordMedia()) {
            MediaRecording recording = mediaRecording;
            if (recording != null) {
                recording.start(roomId); // its consent rule is the media recorder's, as for any room
            }
        }
        PoolFold.MatchedRoom matched = fold.matchedRoom(c.offerId());
        for (String pid : c.pids()) {
            sendRoomLink(pid, matched, Role.PERFORMER);
        }
        if (c.moderatorId() != null) {
            sendRoomLink(c.moderatorId(), matched, Role.MODERATOR);
        }
        LOG.info("lobby {}: room {} opened for {} (moderator {})", pool(), roomId, c.pids(), c.moderatorId());
    }

    private void sendRoomLink(String pid, PoolFold.MatchedRoom r, Role role) {
        JoinLinks.Link link = links.forParticipant(r.roomId(), role, pid, fold.name(pid), 0);
        send(pid, new LobbyMessage.Matched(r.offerId(), r.roomId(), link.token(), link.url()));
    }

    private void send(String pid, ServerMessage message) {
        Member m = members.get(pid);
        if (m != null) {
            m.connection().send(message);
        }
    }

    private LobbyMessage.State state() {
        return new LobbyMessage.State(pool(), fold.lobby().waitingCount(), fold.lobby().pendingOfferCount(),
                roomRefs());
    }

    private List<LobbyMessage.RoomRef> roomRefs() {
        return fold.matchedRooms().stream()
                .map(r -> new LobbyMessage.RoomRef(r.roomId(), r.performers(), r.moderator(),
                        people(r.performers(), r.moderator()))).toList();
    }

    /** Display names of these performers and this moderator (null: none), as far as the hub knows them. */
    private List<LobbyMessage.Person> people(List<String> performers, String moderator) {
        List<LobbyMessage.Person> out = new ArrayList<>();
        for (String pid : performers) {
            out.add(new LobbyMessage.Person(pid, fold.name(pid)));
        }
        if (moderator != null) {
            out.add(new LobbyMessage.Person(moderator, fold.name(moderator)));
        }
        return out;
    }

    private void broadcastStateToModerators() {
        LobbyMessage.State state = null;
        for (Member m : members.values()) {
            if (m.role() == Role.MODERATOR) {
                if (state == null) {
                    state = state();
                }
                m.connection().send(state);
            }
        }
        refreshSummary();
    }

    private void refreshSummary() {
        Lobby lobby = fold.lobby();
        summary = new Summary(pool(), lobby.config().consentVersion(), lobby.waitingCount(),
                lobby.pendingOfferCount(), members.size(), roomRefs());
    }

    private long nowMs() {
        return clock.nowMicros() / 1000;
    }

    /**
     * Scenes and presence in a matched room, into this pool's time accounting. Called on the room's thread; the fact
     * is written and applied on the hub's thread, so that the log holds this pool's facts in the order they were
     * applied (a snapshot is the fold of exactly those before it).
     */
    private RoomListener timeListener(String offerId) {
        return RoomTime.recordingInto(time -> execute(() -> applyRoomTime(offerId, time)));
    }

    /** One room time change as this pool's fact; on the hub's thread. */
    private void applyRoomTime(String offerId, RoomTime time) {
        long ms = time.ts() / 1000;
        switch (time.kind()) {
            case SCENE_STARTED -> input(new LobbyFact.SceneStarted(time.roomId(), time.performers(), ms));
            case SCENE_ENDED -> input(new LobbyFact.SceneEnded(time.roomId(), ms));
            case PRESENT -> input(new LobbyFact.PerformerPresent(time.roomId(), time.participantId(), ms));
            case ABSENT -> input(new LobbyFact.PerformerAbsent(time.roomId(), time.participantId(), ms));
            case CLOSED -> {
                input(new LobbyFact.RoomClosed(offerId, time.roomId()));
                broadcastStateToModerators();
            }
            default -> throw new IllegalStateException("unknown room time " + time.kind());
        }
    }
}
