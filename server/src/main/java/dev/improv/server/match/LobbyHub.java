package dev.improv.server.match;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyMessage;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomListener;
import dev.improv.server.room.RoomRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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

    private record MatchedRoom(String offerId, String roomId, List<String> performers, String moderator) {
    }

    private final Lobby lobby;
    private final ScheduledExecutorService owner;
    private final RoomRegistry rooms;
    private final JoinLinks links;
    private final RoomLimits roomLimits;
    private final MicrosClock clock;
    private final long graceMs;
    private final int moderatorCapacity;
    private final LobbyJournal journal;

    // ---- owner thread only ----
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, ScheduledFuture<?>> graceTimers = new HashMap<>();
    private final Map<String, MatchedRoom> matchedByOffer = new LinkedHashMap<>();
    private final Map<String, String> offerByRoom = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();
    /** Every performer this pool has seen, for time accounting exports. */
    private final java.util.Set<String> performersSeen = new java.util.LinkedHashSet<>();
    private ScheduledFuture<?> ticker;
    /** True while {@link #replay} folds the log back in: nothing is written, no room is opened. */
    private boolean replaying;

    /** Written on the owner thread, read by any. */
    private volatile Summary summary;

    public LobbyHub(LobbyConfig config, ScheduledExecutorService owner, RoomRegistry rooms, JoinLinks links,
                    RoomLimits roomLimits, MicrosClock clock, long graceMs, int moderatorCapacity) {
        this(config, owner, rooms, links, roomLimits, clock, graceMs, moderatorCapacity, LobbyJournal.NONE);
    }

    /** A hub whose facts go to {@code journal} (the node's log), so that a restart can rebuild it. */
    public LobbyHub(LobbyConfig config, ScheduledExecutorService owner, RoomRegistry rooms, JoinLinks links,
                    RoomLimits roomLimits, MicrosClock clock, long graceMs, int moderatorCapacity,
                    LobbyJournal journal) {
        this.journal = journal;
        this.lobby = new Lobby(config);
        this.owner = owner;
        this.rooms = rooms;
        this.links = links;
        this.roomLimits = roomLimits.withMaxFor(Role.PERFORMER, config.rules().roomSize());
        this.clock = clock;
        this.graceMs = graceMs;
        this.moderatorCapacity = moderatorCapacity;
        refreshSummary();
    }

    /** Starts the periodic matching. */
    public void start() {
        execute(() -> ticker = owner.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS));
    }

    private void tick() {
        long now = nowMs();
        List<LobbyEvent> events = lobby.tick(now);
        if (!events.isEmpty()) {
            journal.record(pool(), new LobbyFact.Ticked(now));
        }
        dispatch(events);
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

    public String pool() {
        return lobby.config().pool();
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
        execute(() -> reply.accept(lobby.timeAccounting().snapshot(pid, nowMs())));
    }

    /** Every performer this pool has seen, with their time. */
    public void allTimes(Consumer<List<TimeAccounting.PerformerTime>> reply) {
        execute(() -> {
            long now = nowMs();
            List<TimeAccounting.PerformerTime> out = new ArrayList<>();
            for (String pid : performersSeen) {
                out.add(lobby.timeAccounting().snapshot(pid, now));
            }
            reply.accept(out);
        });
    }

    /** Every performer's time per UTC day (pay statement lines), read on the owner thread. */
    public void allDays(Consumer<List<TimeAccounting.DayTime>> reply) {
        execute(() -> {
            long now = nowMs();
            List<TimeAccounting.DayTime> out = new ArrayList<>();
            for (String pid : performersSeen) {
                out.addAll(lobby.timeAccounting().days(pid, now));
            }
            reply.accept(out);
        });
    }

    // ------------------------------------------------------------------ connections

    /** A verified lobby token connected. Performers then send {@code lobby_join}; moderators are available. */
    public void connect(String pid, String name, Role role, MemberConnection conn) {
        Member previous = members.get(pid);
        if (previous != null && previous.connection() != conn) {
            previous.connection().close(ErrorCode.REPLACED, "this participant connected again elsewhere");
        }
        ScheduledFuture<?> grace = graceTimers.remove(pid);
        if (grace != null) {
            grace.cancel(false);
        }
        members.put(pid, new Member(pid, name, role, conn));
        journal.record(pool(), new LobbyFact.Connected(pid, name, role));
        known(pid, name, role);
        conn.send(new LobbyMessage.Welcome(ServerMessage.PROTOCOL_VERSION, pool(),
                new ServerMessage.Member(pid, name, role, true, false),
                new LobbyMessage.Consent(lobby.config().consentVersion(), lobby.config().consentText()),
                clock.nowMicros()));
        MatchedRoom alreadyMatched = matchedRoomOf(pid);
        if (role == Role.PERFORMER && alreadyMatched != null) {
            sendRoomLink(pid, alreadyMatched, Role.PERFORMER); // lost the connection between match and link
        }
        if (role == Role.MODERATOR) {
            dispatch(input(new LobbyFact.ModeratorAvailable(pid, moderatorCapacity)));
            for (MatchedRoom r : matchedByOffer.values()) {
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
        if (m == null || m.connection() != conn) {
            return;
        }
        if (m.role() != Role.PERFORMER) {
            conn.send(new ServerMessage.Error(ErrorCode.NOT_AUTHORIZED, "type",
                    "only performers queue in a lobby; moderators are available while connected", null));
            return;
        }
        long now = nowMs();
        MatchedRoom matched = matchedRoomOf(pid);
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

    /** Writes a lobby input to the log, then applies it. */
    private List<LobbyEvent> input(LobbyFact fact) {
        journal.record(pool(), fact);
        return apply(fact);
    }

    /** Applies a lobby input to the pure lobby; the same code runs live and on replay. */
    private List<LobbyEvent> apply(LobbyFact fact) {
        if (fact instanceof LobbyFact.Joined j) {
            return lobby.join(j.pid(), new Preferences(j.languages(), j.tags(), j.wantsTagOverlap(), j.avoid()),
                    j.consentVersion(), j.now());
        } else if (fact instanceof LobbyFact.Left l) {
            return lobby.leave(l.pid(), l.now());
        } else if (fact instanceof LobbyFact.Accepted a) {
            return lobby.accept(a.pid(), a.offerId(), a.now());
        } else if (fact instanceof LobbyFact.Declined d) {
            return lobby.decline(d.pid(), d.offerId(), d.now());
        } else if (fact instanceof LobbyFact.ModeratorAvailable ma) {
            return lobby.moderatorAvailable(ma.mid(), ma.capacity());
        } else if (fact instanceof LobbyFact.ModeratorGone mg) {
            return lobby.moderatorGone(mg.mid(), mg.now());
        } else if (fact instanceof LobbyFact.Ticked t) {
            return lobby.tick(t.now());
        }
        return List.of();
    }

    private void known(String pid, String name, Role role) {
        names.put(pid, name);
        if (role == Role.PERFORMER) {
            performersSeen.add(pid);
        }
    }

    /**
     * Folds this pool's facts back in after a restart, in log order, before {@link #start}: the queue, offers,
     * matches, rooms, partner history and time accounting come back as they were. Runs on the caller's thread
     * before the hub is shared (the executor hand-off of {@link #start} publishes the state).
     */
    public void replay(List<LobbyFact> facts) {
        replaying = true;
        long lastFact = 0;
        try {
            for (LobbyFact fact : facts) {
                lastFact = Math.max(lastFact, fact.now());
                if (fact instanceof LobbyFact.Connected c) {
                    known(c.pid(), c.name(), c.role());
                } else if (fact instanceof LobbyFact.RoomOpened r) {
                    matchedByOffer.put(r.offerId(), new MatchedRoom(r.offerId(), r.roomId(), r.pids(), r.moderatorId()));
                    offerByRoom.put(r.roomId(), r.offerId());
                } else if (fact instanceof LobbyFact.RoomClosed r) {
                    roomGone(r.offerId(), r.roomId());
                } else if (!applyTime(fact)) {
                    dispatch(apply(fact));
                }
            }
        } finally {
            replaying = false;
        }
        // Offers open at the crash get back the time the server was down (at most: since the last fact); waiting
        // time and places need nothing (see docs/lobby.md, "Across a restart").
        if (lastFact > 0) {
            lobby.resumeAfterDowntime(nowMs() - lastFact);
        }
        // Everyone the pool knew is disconnected now: each keeps its place for the grace period, as after a drop.
        for (String pid : lobby.performerIds()) {
            startGrace(pid, Role.PERFORMER);
        }
        for (String mid : lobby.moderatorIds()) {
            startGrace(mid, Role.MODERATOR);
        }
        refreshSummary();
    }

    /** The time listener of a room this pool opened before a restart, or null when it is not one of ours. */
    public RoomListener recoveredRoomListener(String roomId) {
        String offerId = offerByRoom.get(roomId);
        return offerId == null ? null : new TimeListener(offerId);
    }

    private boolean applyTime(LobbyFact fact) {
        TimeAccounting time = lobby.timeAccounting();
        if (fact instanceof LobbyFact.SceneStarted s) {
            time.sceneStarted(s.roomId(), s.pids(), s.now());
        } else if (fact instanceof LobbyFact.SceneEnded s) {
            time.sceneEnded(s.roomId(), s.now());
        } else if (fact instanceof LobbyFact.PerformerPresent p) {
            time.performerJoinedRoom(p.roomId(), p.pid(), p.now());
        } else if (fact instanceof LobbyFact.PerformerAbsent p) {
            time.performerLeftRoom(p.roomId(), p.pid(), p.now());
        } else {
            return false;
        }
        return true;
    }

    private void roomGone(String offerId, String roomId) {
        lobby.roomClosed(offerId);
        matchedByOffer.remove(offerId);
        offerByRoom.remove(roomId);
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
                if (!replaying) {
                    openRoom(c); // on replay the room exists already: its RoomOpened fact follows
                }
            } else if (event instanceof LobbyEvent.OfferExpired x) {
                String cause = x.cause().name().toLowerCase();
                x.droppedPids().forEach(pid -> send(pid, new LobbyMessage.OfferEnded(x.offerId(), cause, false)));
                x.requeuedPids().forEach(pid -> send(pid, new LobbyMessage.OfferEnded(x.offerId(), cause, true)));
            } else if (event instanceof LobbyEvent.Refused r) {
                boolean consent = r.reason() == LobbyEvent.RefusalReason.CONSENT_VERSION_MISMATCH;
                send(r.pid(), new ServerMessage.Error(consent ? ErrorCode.CONSENT_REQUIRED : ErrorCode.OFFER_UNAVAILABLE,
                        consent ? "consentVersion" : "offerId", consent
                        ? "accept the current consent text (version " + lobby.config().consentVersion() + ") to queue"
                        : "this offer is no longer open (" + r.reason().name().toLowerCase() + ")", null));
            } else if (event instanceof LobbyEvent.ModeratorMissing mm) {
                LOG.warn("lobby {}: offer or room {} has no moderator and none is free", pool(), mm.offerId());
            } else if (event instanceof LobbyEvent.ModeratorAssigned ma) {
                MatchedRoom r = matchedByOffer.get(ma.offerId());
                if (r != null) {
                    MatchedRoom moved = new MatchedRoom(r.offerId(), r.roomId(), r.performers(), ma.moderatorId());
                    matchedByOffer.put(r.offerId(), moved);
                    sendRoomLink(ma.moderatorId(), moved, Role.MODERATOR);
                }
            }
        }
        broadcastStateToModerators();
    }

    /**
     * Everyone accepted: open the room, write each performer's consent into its log (before any link exists, so
     * consent comes first in the log), then send every performer and the moderator a room link.
     */
    private void openRoom(LobbyEvent.Confirmed c) {
        Room room = rooms.create(pool() + " · " + c.offerId(), roomLimits, new TimeListener(c.offerId()));
        room.execute(() -> {
            for (ConsentRecord consent : c.consentRecords()) {
                room.recordConsent(consent.pid(), pool(), consent.consentVersion(), consent.acceptedAt() * 1000);
            }
        });
        MatchedRoom matched = new MatchedRoom(c.offerId(), room.id(), c.pids(), c.moderatorId());
        journal.record(pool(), new LobbyFact.RoomOpened(c.offerId(), room.id(), c.pids(), c.moderatorId()));
        matchedByOffer.put(c.offerId(), matched);
        offerByRoom.put(room.id(), c.offerId());
        for (String pid : c.pids()) {
            sendRoomLink(pid, matched, Role.PERFORMER);
        }
        if (c.moderatorId() != null) {
            sendRoomLink(c.moderatorId(), matched, Role.MODERATOR);
        }
        LOG.info("lobby {}: room {} opened for {} (moderator {})", pool(), room.id(), c.pids(), c.moderatorId());
    }

    private MatchedRoom matchedRoomOf(String performerId) {
        for (MatchedRoom r : matchedByOffer.values()) {
            if (r.performers().contains(performerId)) {
                return r;
            }
        }
        return null;
    }

    private void sendRoomLink(String pid, MatchedRoom r, Role role) {
        JoinLinks.Link link = links.forParticipant(r.roomId(), role, pid, names.get(pid), 0);
        send(pid, new LobbyMessage.Matched(r.offerId(), r.roomId(), link.token(), link.url()));
    }

    private void send(String pid, ServerMessage message) {
        Member m = members.get(pid);
        if (m != null) {
            m.connection().send(message);
        }
    }

    private LobbyMessage.State state() {
        return new LobbyMessage.State(pool(), lobby.waitingCount(), lobby.pendingOfferCount(), roomRefs());
    }

    private List<LobbyMessage.RoomRef> roomRefs() {
        return matchedByOffer.values().stream()
                .map(r -> new LobbyMessage.RoomRef(r.roomId(), r.performers(), r.moderator(),
                        people(r.performers(), r.moderator()))).toList();
    }

    /** Display names of these performers and this moderator (null: none), as far as the hub knows them. */
    private List<LobbyMessage.Person> people(List<String> performers, String moderator) {
        List<LobbyMessage.Person> out = new ArrayList<>();
        for (String pid : performers) {
            out.add(new LobbyMessage.Person(pid, names.get(pid)));
        }
        if (moderator != null) {
            out.add(new LobbyMessage.Person(moderator, names.get(moderator)));
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
        summary = new Summary(pool(), lobby.config().consentVersion(), lobby.waitingCount(),
                lobby.pendingOfferCount(), members.size(), roomRefs());
    }

    private long nowMs() {
        return clock.nowMicros() / 1000;
    }

    /** Scenes and presence in a matched room, into this pool's time accounting (on the hub's thread). */
    private final class TimeListener implements RoomListener {
        private final String offerId;

        TimeListener(String offerId) {
            this.offerId = offerId;
        }

        // Called on the room's thread: the fact goes into the log right there (after the room event that caused
        // it, in the same queue), then the hub applies it on its own thread.
        @Override
        public void sceneStarted(String roomId, List<String> performersPresent, long ts) {
            time(new LobbyFact.SceneStarted(roomId, List.copyOf(performersPresent), ts / 1000));
        }

        @Override
        public void sceneEnded(String roomId, long ts) {
            time(new LobbyFact.SceneEnded(roomId, ts / 1000));
        }

        @Override
        public void performerPresent(String roomId, String participantId, long ts) {
            time(new LobbyFact.PerformerPresent(roomId, participantId, ts / 1000));
        }

        @Override
        public void performerAbsent(String roomId, String participantId, long ts) {
            time(new LobbyFact.PerformerAbsent(roomId, participantId, ts / 1000));
        }

        private void time(LobbyFact fact) {
            journal.record(pool(), fact);
            execute(() -> applyTime(fact));
        }

        @Override
        public void roomClosed(String roomId, long ts) {
            journal.record(pool(), new LobbyFact.RoomClosed(offerId, roomId));
            execute(() -> {
                roomGone(offerId, roomId);
                broadcastStateToModerators();
            });
        }
    }
}
