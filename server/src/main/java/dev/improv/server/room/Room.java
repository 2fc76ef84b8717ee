package dev.improv.server.room;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room session: its members, its state and its event stream. Every method except {@link #execute},
 * {@link #summary()}, {@link #relaySignal} and the accessors of final fields must run on the owner thread; the transport gets there
 * with {@code room.execute(() -> ...)}. Handling of client messages lives in {@link RoomCommands}.
 */
public final class Room {
    private static final Logger LOG = LoggerFactory.getLogger(Room.class);

    private final String id;
    private final String name;
    private final String sessionId;
    private final RoomLimits limits;
    private final ScheduledExecutorService owner;
    private final FrameFactory frames;
    private final MicrosClock clock;
    private final ServerMetrics metrics;
    private final String serverVersion;
    private final RoomCommands commands;
    private final RoomListener listener;
    /** Sees every published event (live quality); set once by the registry before the room is shared. */
    private RoomTap tap = RoomTap.NONE;

    // ---- owner thread only ----
    private final Map<String, Participant> participants = new LinkedHashMap<>();
    private final Set<String> banned = new HashSet<>();
    private final EventHistory history;
    private final SessionJournal.JournalSession journal;
    private final PendingAcks pendingAcks = new PendingAcks();
    /** Run once the event they name is durable (the answer to an operator's close), in seq order. */
    private final java.util.ArrayDeque<DurableWaiter> durableWaiters = new java.util.ArrayDeque<>();
    /** Outlives connections, resume windows and rejoins: cids are applied at most once per session. */
    private final AppliedCids appliedCids = new AppliedCids();
    /** Published above the durable seq reservation: members see them once it covers them. */
    private final HeldEvents held = new HeldEvents();
    /** Reused by every publish: the connections one event is delivered to. */
    private final List<MemberConnection> recipients = new ArrayList<>();
    private final List<SessionMeta.ParticipantInfo> everJoined = new ArrayList<>();
    private final List<SessionMeta.SceneInfo> scenes = new ArrayList<>();
    private final long startedAt;
    private long seq;
    private long durableSeq;
    private boolean logFailing;
    /** Why the log fails, while it does: told to moderators who join during the outage. */
    private String logFailure;
    private boolean locked;
    private int scene;
    private boolean sceneActive;
    private String sceneTitle;
    private RoomEvent.Prompt lastPrompt;
    /** The last prompt members may have seen (lastPrompt unless it is held): what a welcome shows. */
    private RoomEvent.Prompt shownPrompt;
    private boolean closed;

    /** Participants whose recording consent is in this session's log; written on the owner thread, read by any. */
    private volatile java.util.Set<String> consented = java.util.Set.of();
    /** The lobby pool whose offer made this room, or null (a room of the admin API). Owner thread. */
    private String pool;

    /** Written on the owner thread, read by any thread (admin API): an immutable snapshot. */
    private volatile RoomSummary summary;
    /**
     * The connected participants' connections, for {@link #relaySignal} on other threads: an immutable copy the
     * owner replaces whenever a connection is attached or detached, before anything is sent on it.
     */
    private volatile Map<String, MemberConnection> signalRoutes = Map.of();

    Room(String id, String name, String sessionId, RoomLimits limits, ScheduledExecutorService owner,
         FrameFactory frames, MicrosClock clock, ServerMetrics metrics, SessionJournal journal, String serverVersion,
         RoomListener listener) {
        this(id, name, sessionId, limits, owner, frames, clock, metrics, journal, serverVersion, listener, null);
    }

    /** A room rebuilt from the log after a restart when {@code restored} is given (see {@link RecoveredRoom}). */
    Room(String id, String name, String sessionId, RoomLimits limits, ScheduledExecutorService owner,
         FrameFactory frames, MicrosClock clock, ServerMetrics metrics, SessionJournal journal, String serverVersion,
         RoomListener listener, RecoveredRoom restored) {
        this.listener = listener;
        this.id = id;
        this.name = name;
        this.sessionId = sessionId;
        this.limits = limits;
        this.owner = owner;
        this.frames = frames;
        this.clock = clock;
        this.metrics = metrics;
        this.serverVersion = serverVersion;
        this.history = new EventHistory(limits.historyEvents(), limits.historyBytes());
        this.startedAt = restored == null ? clock.nowMicros() : restored.startedAt();
        this.commands = new RoomCommands(this);
        if (restored == null) {
            this.journal = journal.open(meta(), limits, new DurabilityOnOwner());
        } else {
            this.journal = journal.resume(id, sessionId, new DurabilityOnOwner());
            restore(restored);
        }
        refreshSummary();
    }

    /** Takes the folded state over; constructor only (before the room is shared). */
    private void restore(RecoveredRoom r) {
        seq = r.reservedSeq(); // seqs after the last event and up to the reservation may have been seen: skipped
        durableSeq = r.seq; // everything folded back came from the log
        locked = r.locked;
        scene = r.scene;
        sceneActive = r.sceneActive;
        sceneTitle = r.sceneTitle;
        lastPrompt = r.lastPrompt();
        shownPrompt = lastPrompt;
        banned.addAll(r.banned);
        everJoined.addAll(r.everJoined);
        scenes.addAll(r.scenes);
        consented = java.util.Set.copyOf(r.consented);
        pool = r.pool();
        for (RecoveredRoom.Member m : r.members.values()) {
            Participant p = new Participant(m.id(), m.name(), m.role(), m.capabilities(), m.joinedAt());
            p.muted(m.muted());
            participants.put(p.id(), p);
            metrics.memberAdded(p.role());
        }
        r.appliedCidsInto(appliedCids);
        if (seq > r.seq || r.recent.isEmpty()) {
            history.startAfter(seq); // after skipped seqs the history starts anew; older events come from the log
            return;
        }
        history.startAfter((Long) r.recent.peekFirst()[0] - 1);
        for (Object[] e : r.recent) {
            history.add((Long) e[0], (byte[]) e[1]);
        }
    }

    /**
     * First thing on the owner thread after a restore: marks the restart on the timeline, stops the scene time of
     * performers who were present at the last durable event, and gives every participant the resume window to
     * come back with {@code lastSeq}.
     */
    void restarted(RecoveredRoom r) {
        for (RecoveredRoom.Member m : r.members.values()) {
            if (m.connected() && m.role() == Role.PERFORMER) {
                listener.performerAbsent(id, m.id(), r.lastTs());
            }
        }
        boolean skipped = r.reservedSeq() > r.lastSeq();
        publish(new RoomEvent.ServerRestarted(nextSeq(), clock.nowMicros(), RoomEvent.SERVER, r.lastTs(),
                skipped ? r.lastSeq() + 1 : null, skipped ? r.reservedSeq() : null), null, null);
        for (Participant p : participants.values()) {
            p.resumeExpiry(owner.schedule(() -> resumeWindowExpired(p), limits.resumeWindowMs(),
                    TimeUnit.MILLISECONDS));
        }
        refreshSummary();
    }

    /**
     * Ends a recovered session that cannot go on (its log is damaged): a {@code room_closed} with reason
     * {@code crashed} stamped with the time of its last event, which becomes the session's end.
     */
    void closeCrashed(long lastTs, boolean closedEventLogged) {
        if (!closedEventLogged) { // else the crash came between the room_closed event and the session's close
            publish(new RoomEvent.RoomClosed(nextSeq(), lastTs, RoomEvent.SERVER, "crashed"), null, null);
        }
        closed = true;
        for (Participant p : participants.values()) {
            p.resumeExpiry(null);
            metrics.memberRemoved(p.role());
        }
        participants.clear();
        journal.close(new SessionMeta(sessionId, id, name, startedAt, lastTs, ServerMessage.PROTOCOL_VERSION,
                serverVersion, everJoined, scenes));
        listener.roomClosed(id, lastTs);
        refreshSummary();
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String sessionId() {
        return sessionId;
    }

    public RoomLimits limits() {
        return limits;
    }

    /** A consistent snapshot for readers on other threads. */
    public RoomSummary summary() {
        return summary;
    }

    /** Runs a task on the owner thread. Safe from any thread; refused work is counted and logged, not thrown. */
    public void execute(Runnable task) {
        try {
            owner.execute(task);
        } catch (RejectedExecutionException e) {
            metrics.roomTaskRejected();
            LOG.warn("room {}: owner thread refused work (shutting down)", id);
        }
    }

    // ------------------------------------------------------------------ joining and leaving

    /**
     * Joins (or rejoins) a participant with a verified identity.
     *
     * @param lastSeq the last seq the client saw, or -1 for none; recorders that give none get the whole
     *                session replayed; above the room's seq it is refused (INVALID_FIELD)
     * @return null when joined, or the error that refused the join (the caller closes the connection)
     */
    public ErrorCode join(String participantId, String displayName, Role role, long lastSeq, MemberConnection conn) {
        return join(participantId, displayName, role, java.util.List.of(), lastSeq, conn);
    }

    /**
     * Joins (or rejoins) with the capabilities of the participant's token (announced in its member entry; a
     * rejoin keeps those of the first join).
     */
    public ErrorCode join(String participantId, String displayName, Role role,
                          java.util.List<dev.improv.server.protocol.Capability> capabilities, long lastSeq,
                          MemberConnection conn) {
        if (closed) {
            return ErrorCode.ROOM_CLOSED;
        }
        if (banned.contains(participantId)) {
            return ErrorCode.KICKED;
        }
        if (lastSeq > seq) {
            return ErrorCode.INVALID_FIELD; // the session names lastSeq: nobody saw an event this room never had
        }
        Participant p = participants.get(participantId);
        boolean resumed = p != null;
        if (p == null) {
            ErrorCode refusal = admissionRefusal(role);
            if (refusal != null) {
                return refusal;
            }
            p = new Participant(participantId, displayName, role, capabilities, clock.nowMicros());
            participants.put(participantId, p);
            metrics.memberAdded(role);
            long s = nextSeq();
            everJoined.add(new SessionMeta.ParticipantInfo(p.id(), p.name(), p.role(), p.joinedAt(), s));
            publish(new RoomEvent.MemberJoined(s, clock.nowMicros(), p.id(),
                    new ServerMessage.Member(p.id(), p.name(), p.role(), true, false, p.capabilities())), null, null);
            journal.updateMeta(meta());
        } else {
            MemberConnection previous = p.connection();
            if (previous != null && previous != conn) {
                attach(p, null);
                previous.close(ErrorCode.REPLACED, "this participant connected again elsewhere");
            }
        }
        if (lastSeq < 0 && role == Role.RECORDER) {
            lastSeq = 0; // a recorder always starts from the beginning of the session
        }
        boolean wasConnected = p.connected();
        attach(p, conn);
        p.stopCatchUp();
        p.resumeExpiry(null);
        long visible = visibleSeq(); // not beyond the durable reservation: held events follow live
        long replayFrom = lastSeq >= 0 ? Math.min(lastSeq + 1, visible + 1) : visible + 1;
        boolean replaying = replayFrom <= visible;
        conn.send(new ServerMessage.Welcome(ServerMessage.PROTOCOL_VERSION, serverVersion, p.view(), roomState(),
                roster(), clock.nowMicros(), visible, resumed, replaying ? replayFrom : null, null));
        if (logFailing && role == Role.MODERATOR) {
            conn.send(logUnavailableNotice(logFailure));
        }
        if (replaying) {
            CatchUp catchUp = new CatchUp(this, p, conn, replayFrom);
            p.catchUp(catchUp);
            catchUp.pump();
        }
        if (resumed && !wasConnected) {
            publish(new RoomEvent.Presence(nextSeq(), clock.nowMicros(), p.id(), p.id(), true), null, null);
        }
        if (!wasConnected && role == Role.PERFORMER) {
            listener.performerPresent(id, p.id(), clock.nowMicros());
        }
        refreshSummary();
        return null;
    }

    private ErrorCode admissionRefusal(Role role) {
        if (locked && role != Role.MODERATOR) {
            return ErrorCode.ROOM_LOCKED;
        }
        if (participants.size() >= limits.maxMembers()) {
            return ErrorCode.ROOM_FULL;
        }
        long sameRole = participants.values().stream().filter(m -> m.role() == role).count();
        if (sameRole >= limits.maxFor(role)) {
            return ErrorCode.ROLE_FULL;
        }
        return null;
    }

    /** The transport lost this connection. The participant keeps its slot for the resume window. */
    public void connectionLost(String participantId, MemberConnection conn) {
        Participant p = participants.get(participantId);
        if (p == null || p.connection() != conn) {
            return; // already replaced, kicked or gone
        }
        attach(p, null);
        p.stopCatchUp();
        if (closed) {
            return;
        }
        if (p.role() == Role.PERFORMER) {
            listener.performerAbsent(id, p.id(), clock.nowMicros());
        }
        publish(new RoomEvent.Presence(nextSeq(), clock.nowMicros(), RoomEvent.SERVER, p.id(), false), null, null);
        p.resumeExpiry(owner.schedule(() -> resumeWindowExpired(p), limits.resumeWindowMs(), TimeUnit.MILLISECONDS));
        refreshSummary();
    }

    private void resumeWindowExpired(Participant p) {
        if (!p.connected() && participants.get(p.id()) == p) {
            remove(p, RoomEvent.SERVER, "resume window expired", null);
        }
    }

    /** Removes a participant for good and tells everyone. */
    void remove(Participant p, String actor, String reason, String cid) {
        participants.remove(p.id());
        if (p.role() == Role.PERFORMER) {
            listener.performerAbsent(id, p.id(), clock.nowMicros());
        }
        p.resumeExpiry(null);
        metrics.memberRemoved(p.role());
        publish(new RoomEvent.MemberLeft(nextSeq(), clock.nowMicros(), actor, p.id(), reason),
                actor.equals(RoomEvent.SERVER) ? null : participants.get(actor), cid);
        refreshSummary();
    }

    void ban(String participantId) {
        banned.add(participantId);
        journal.fact("ban", participantId);
    }

    /** Ends the room session: tells everyone, closes every connection, closes the log. Idempotent. */
    public void close(String reason, ErrorCode closeCode) {
        close(reason, closeCode, null);
    }

    /**
     * {@link #close(String, ErrorCode)}, then runs {@code whenDurable} on this room's thread once its
     * {@code room_closed} event is durable: whoever closed the room may then read the session's whole log. A room
     * closed already runs it once what it published is durable.
     */
    public void close(String reason, ErrorCode closeCode, Runnable whenDurable) {
        if (closed) {
            if (whenDurable != null) {
                whenDurable(seq, whenDurable);
            }
            return;
        }
        if (sceneActive) {
            endScene(RoomEvent.SERVER, null, null);
        }
        publish(new RoomEvent.RoomClosed(nextSeq(), clock.nowMicros(), RoomEvent.SERVER, reason), null, null);
        closed = true;
        if (whenDurable != null) {
            whenDurable(seq, whenDurable);
        }
        for (Participant p : participants.values()) {
            p.resumeExpiry(null);
            if (p.connection() != null) {
                p.connection().close(closeCode, reason);
                attach(p, null);
            }
            metrics.memberRemoved(p.role());
        }
        participants.clear();
        journal.close(meta());
        listener.roomClosed(id, clock.nowMicros());
        refreshSummary();
    }

    /**
     * Server shutdown with a log that keeps rooms: every connection is closed with {@code closeCode}, the
     * session stays open in the log (no {@code room_closed}), so that the next start rebuilds the room and its
     * members resume. Performers' scene time stops now.
     */
    public void suspend(String reason, ErrorCode closeCode) {
        if (closed) {
            return;
        }
        for (Participant p : participants.values()) {
            MemberConnection c = p.connection();
            if (c != null) {
                attach(p, null);
                if (p.role() == Role.PERFORMER) {
                    listener.performerAbsent(id, p.id(), clock.nowMicros());
                }
                c.close(closeCode, reason);
            }
            p.resumeExpiry(null);
        }
        refreshSummary();
    }

    /**
     * Writes a performer's consent (accepted in a lobby) into the session log. Call before handing out the
     * performer's room link, so that the consent precedes everything recorded of them.
     */
    /**
     * Marks this room as made by lobby pool {@code poolId} (a {@code pool} fact in its log, before any event): a
     * node that takes the room over (cluster) reads it back and sends the room's scene times to that pool. Once.
     */
    public void bindToPool(String poolId) {
        if (pool != null) {
            throw new IllegalStateException("room " + id + " belongs to pool " + pool + " already");
        }
        pool = poolId;
        journal.fact("pool", poolId);
    }

    /** The lobby pool that made this room, or null. Owner thread. */
    public String pool() {
        return pool;
    }

    public void recordConsent(String participantId, String pool, int consentVersion, long acceptedAtMicros) {
        java.util.Set<String> more = new java.util.HashSet<>(consented);
        more.add(participantId);
        consented = java.util.Set.copyOf(more);
        publish(new RoomEvent.ConsentRecorded(nextSeq(), clock.nowMicros(), RoomEvent.SERVER, participantId, pool,
                consentVersion, acceptedAtMicros), null, null);
    }

    /**
     * Writes a performer's consent given on the stage of this room ({@code via} {@code "stage"}, no pool): the
     * same {@code consent} event as the lobby's, so every reader of consents finds it.
     */
    public void recordStageConsent(String participantId, int consentVersion, long acceptedAtMicros) {
        java.util.Set<String> more = new java.util.HashSet<>(consented);
        more.add(participantId);
        consented = java.util.Set.copyOf(more);
        publish(new RoomEvent.ConsentRecorded(nextSeq(), clock.nowMicros(), RoomEvent.SERVER, participantId, null,
                consentVersion, acceptedAtMicros, "stage"), null, null);
    }

    /** Makes a server event from the seq and time the room gives it. */
    @FunctionalInterface
    public interface ServerEvent {
        RoomEvent make(long seq, long ts);
    }

    /**
     * Publishes an event the server makes by itself (e.g. {@code take_*} facts) into this session: seq, log and
     * members as any event. False when the room is closed (nothing may follow {@code room_closed}).
     */
    public boolean publishServerEvent(ServerEvent event) {
        if (closed) {
            return false;
        }
        publish(event.make(nextSeq(), clock.nowMicros()), null, null);
        return true;
    }

    /** Whether this participant's consent to be recorded is in the session log. Any thread. */
    public boolean hasConsent(String participantId) {
        return consented.contains(participantId);
    }

    public boolean closed() {
        return closed;
    }

    /** Attaches or detaches a participant's connection and publishes who can be signalled now. Owner thread. */
    void attach(Participant p, MemberConnection connection) {
        p.attach(connection);
        Map<String, MemberConnection> routes = new java.util.HashMap<>();
        for (Participant member : participants.values()) {
            if (member.connection() != null) {
                routes.put(member.id(), member.connection());
            }
        }
        signalRoutes = Map.copyOf(routes);
    }

    /**
     * Relays a signal to the member it names, as the bytes received. Any thread: signals are neither room events
     * nor state, so the sender's thread relays them through the connections the owner published last, without a
     * hop to the owner thread (a task, a wake-up of the owner's loop and its epoll round per signal). Order is kept: one sender's signals leave its thread in order, and anything
     * the owner sent the recipient before the sender could know of it (the roster that names the sender) was
     * queued on the recipient's connection first. A signal from a connection the owner has replaced or detached is
     * dropped, as the owner drops that connection's other messages.
     *
     * @return whether it was relayed; a refusal (no such connected member) is sent to the sender
     */
    public boolean relaySignal(String fromId, MemberConnection from, dev.improv.server.protocol.ClientMessage.Signal m) {
        Map<String, MemberConnection> routes = signalRoutes;
        if (routes.get(fromId) != from) {
            return false;
        }
        MemberConnection to = m.to().equals(fromId) ? null : routes.get(m.to());
        if (to == null) {
            metrics.error(ErrorCode.UNKNOWN_PEER);
            from.send(new ServerMessage.Error(ErrorCode.UNKNOWN_PEER, "to",
                    "no connected member '" + m.to() + "' in this room", m.cid()));
            return false;
        }
        to.send(new ServerMessage.SignalRelay(fromId, m.kind(), m.data()));
        return true;
    }

    // ------------------------------------------------------------------ client messages

    /** Handles one decoded client message from a joined participant. {@code receivedAt}: server µs at read. */
    public void handle(String participantId, MemberConnection conn, dev.improv.server.protocol.ClientMessage message,
                       long receivedAt) {
        Participant p = participants.get(participantId);
        if (p == null || p.connection() != conn) {
            return; // stale connection: replaced or removed while this message was queued
        }
        if (journal.backlogged() && addsEvents(message)) {
            metrics.error(ErrorCode.LOG_BACKLOG);
            p.sendDirect(new ServerMessage.Error(ErrorCode.LOG_BACKLOG, null, "the session log is behind; "
                    + "nothing was applied, send it again in a moment", message.cid()));
            return;
        }
        commands.handle(p, message, receivedAt);
    }

    /** Messages that may add room events (refused while the log is backlogged); the rest stay answered. */
    private static boolean addsEvents(dev.improv.server.protocol.ClientMessage m) {
        return !(m instanceof dev.improv.server.protocol.ClientMessage.TimeSync
                || m instanceof dev.improv.server.protocol.ClientMessage.Signal
                || m instanceof dev.improv.server.protocol.ClientMessage.MediaState
                || m instanceof dev.improv.server.protocol.ClientMessage.Leave);
    }

    // ------------------------------------------------------------------ state used by RoomCommands

    Participant participant(String participantId) {
        return participants.get(participantId);
    }

    /** The members of this role that are connected now, in joining order. */
    List<Participant> connected(Role role) {
        return participants.values().stream().filter(m -> m.role() == role && m.connected()).toList();
    }

    MicrosClock clock() {
        return clock;
    }

    ServerMetrics metrics() {
        return metrics;
    }

    boolean locked() {
        return locked;
    }

    void locked(boolean value) {
        locked = value;
    }

    int scene() {
        return scene;
    }

    boolean sceneActive() {
        return sceneActive;
    }

    void startScene(String actor, String title, Participant origin, String cid) {
        scene++;
        sceneActive = true;
        sceneTitle = title;
        long s = nextSeq();
        long ts = clock.nowMicros();
        scenes.add(new SessionMeta.SceneInfo(scene, title, s, ts, null, null));
        publish(new RoomEvent.SceneStarted(s, ts, actor, scene, title), origin, cid);
        journal.updateMeta(meta());
        listener.sceneStarted(id, participants.values().stream()
                .filter(m -> m.role() == Role.PERFORMER && m.connected()).map(Participant::id).toList(), ts);
    }

    void endScene(String actor, Participant origin, String cid) {
        sceneActive = false;
        long s = nextSeq();
        long ts = clock.nowMicros();
        SessionMeta.SceneInfo running = scenes.remove(scenes.size() - 1);
        scenes.add(new SessionMeta.SceneInfo(running.number(), running.title(), running.startSeq(),
                running.startTs(), s, ts));
        publish(new RoomEvent.SceneEnded(s, ts, actor, scene), origin, cid);
        journal.updateMeta(meta());
        listener.sceneEnded(id, ts);
    }

    void lastPrompt(RoomEvent.Prompt prompt) {
        lastPrompt = prompt;
    }

    long nextSeq() {
        return ++seq;
    }

    /**
     * Publishes a room event: encodes it once, keeps it for replay, appends it to the session log and hands the
     * same frame to every connected member. When {@code cid} is given, the origin gets an ack once the event is
     * durable.
     */
    void publish(RoomEvent event, Participant origin, String cid) {
        long start = System.nanoTime();
        byte[] json = ProtocolCodec.encode(event);
        history.add(event.seq(), json);
        if (origin != null && cid != null) {
            appliedCids.applied(origin.id(), cid, event.seq());
            pendingAcks.add(event.seq(), origin, cid, false);
        }
        journal.append(event.seq(), json, origin != null && cid != null ? origin.id() : null, cid);
        if (!held.isEmpty() || event.seq() > journal.reservedUpTo()) {
            held.add(event, json); // shown once its seq is durably reserved
            tap.published(event);
            return;
        }
        deliver(json, event, start);
        tap.published(event);
    }

    /** Registry only, before the room is shared: who sees every event this room publishes. */
    void tap(RoomTap tap) {
        this.tap = tap;
    }

    /** Hands one event's frame to every connected member that is not catching up. */
    private void deliver(byte[] json, RoomEvent event, long start) {
        if (event instanceof RoomEvent.Prompt prompt) {
            shownPrompt = prompt;
        }
        SharedFrame frame = frames.wrap(json);
        recipients.clear();
        try {
            for (Participant member : participants.values()) {
                MemberConnection c = member.connection();
                if (c != null && member.catchUp() == null) {
                    recipients.add(c); // a member catching up gets this event from the history, in order
                }
            }
            frame.deliver(recipients);
        } finally {
            frame.release();
        }
        int delivered = recipients.size();
        recipients.clear();
        metrics.fannedOut(System.nanoTime() - start, delivered);
        metrics.messagesOut(event.typeName(), delivered);
    }

    /**
     * Shows the held events the durable seq reservation now covers. The journal's writer can report the first
     * reservation durable before this room's constructor has stored {@link #journal} (the listener is handed out
     * from inside it, and the room is created on another thread than its owner): then nothing can be held yet, and
     * every later publish reads the reservation itself. Seen as a NullPointerException on the owner loop
     * (LogFloodEndToEndTest, CI, 2026-12-02).
     */
    private void releaseHeld() {
        if (journal == null) {
            return;
        }
        held.release(journal.reservedUpTo(), (json, event) -> deliver(json, event, System.nanoTime()));
    }

    /** The last seq members may see (the last published one, unless some wait for their seq reservation). */
    long visibleSeq() {
        return held.visibleUpTo(seq);
    }

    private record DurableWaiter(long seq, Runnable task) {
    }

    /** Runs {@code task} on this thread once event {@code eventSeq} is durable (at once when it is already). */
    private void whenDurable(long eventSeq, Runnable task) {
        if (eventSeq <= durableSeq) {
            task.run();
        } else {
            durableWaiters.addLast(new DurableWaiter(eventSeq, task));
        }
    }

    /** Acks an already-applied cid again: at once when its event is durable, otherwise once it is. */
    void ackDuplicate(Participant p, String cid, long eventSeq) {
        if (eventSeq == 0 || eventSeq <= durableSeq) {
            p.sendDirect(new ServerMessage.Ack(cid, eventSeq == 0 ? null : eventSeq, true));
        } else {
            pendingAcks.add(eventSeq, p, cid, true);
        }
    }

    /** Applied client message ids of this session, per participant. Owner thread only. */
    public AppliedCids appliedCids() {
        return appliedCids;
    }

    // ---- for CatchUp (owner thread) ----

    long lastSeq() {
        return seq;
    }

    EventHistory history() {
        return history;
    }

    SessionJournal.JournalSession journal() {
        return journal;
    }

    FrameFactory frames() {
        return frames;
    }

    /** Runs {@code task} on the owner thread after {@code delayMs}; for the room's own timers and its taps. */
    public java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        return owner.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    void refreshSummary() {
        int connected = 0;
        Map<Role, Integer> byRole = new java.util.EnumMap<>(Role.class);
        for (Participant p : participants.values()) {
            byRole.merge(p.role(), 1, Integer::sum);
            if (p.connected()) {
                connected++;
            }
        }
        summary = new RoomSummary(id, name, sessionId, closed, locked, scene, sceneActive, seq,
                participants.size(), connected, byRole, roster());
    }

    private ServerMessage.RoomState roomState() {
        return new ServerMessage.RoomState(id, name, sessionId, locked, scene, sceneActive, sceneTitle,
                held.isEmpty() ? lastPrompt : shownPrompt); // never a prompt whose seq members may not see yet
    }

    private List<ServerMessage.Member> roster() {
        List<ServerMessage.Member> out = new ArrayList<>(participants.size());
        for (Participant p : participants.values()) {
            out.add(p.view());
        }
        return out;
    }

    SessionMeta meta() {
        return new SessionMeta(sessionId, id, name, startedAt, closed ? clock.nowMicros() : null,
                ServerMessage.PROTOCOL_VERSION, serverVersion, everJoined, scenes);
    }

    /** Moderators hear about trouble with the session log at once (and those who join later, on joining). */
    private void noticeModerators(ServerMessage.Notice notice) {
        for (Participant p : participants.values()) {
            if (p.role() == Role.MODERATOR) {
                p.sendDirect(notice);
            }
        }
    }

    private static ServerMessage.Notice logUnavailableNotice(String cause) {
        return new ServerMessage.Notice("error", ErrorCode.LOG_UNAVAILABLE.name(),
                "The session log cannot be written (" + cause + "). The room keeps "
                        + "running; events are kept and written as soon as the disk recovers.");
    }

    /** Carries the writer thread's news over to the owner thread. */
    private final class DurabilityOnOwner implements SessionJournal.DurabilityListener {
        @Override
        public void seqsReserved(long upTo) {
            execute(Room.this::releaseHeld);
        }

        @Override
        public void durableUpTo(long upTo) {
            execute(() -> {
                if (upTo > durableSeq) {
                    durableSeq = upTo;
                    pendingAcks.ackUpTo(upTo);
                    while (!durableWaiters.isEmpty() && durableWaiters.peekFirst().seq() <= upTo) {
                        durableWaiters.pollFirst().task().run();
                    }
                }
            });
        }

        @Override
        public void writeFailed(Exception cause) {
            execute(() -> {
                if (!logFailing) {
                    logFailing = true;
                    logFailure = String.valueOf(cause.getMessage());
                    LOG.error("room {} session {}: session log cannot be written; events are kept and retried", id,
                            sessionId, cause);
                    noticeModerators(logUnavailableNotice(logFailure));
                }
            });
        }

        @Override
        public void writeRecovered() {
            execute(() -> {
                if (logFailing) {
                    logFailing = false;
                    logFailure = null;
                    LOG.warn("room {} session {}: session log writable again", id, sessionId);
                    noticeModerators(new ServerMessage.Notice("info", ErrorCode.LOG_UNAVAILABLE.name(),
                            "The session log is writable again."));
                }
            });
        }
    }
}
