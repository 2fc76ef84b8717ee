package dev.improv.server.room;

import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import java.util.Map;

/**
 * What each client message does to a room: permission, validation against room state, the resulting event.
 * Runs on the room's owner thread. Java 17 has no pattern switch over sealed types, so dispatch is a table by
 * record class, checked at class initialisation to cover every permitted subclass of {@link ClientMessage}.
 */
final class RoomCommands {
    @FunctionalInterface
    private interface Handler<M extends ClientMessage> {
        void handle(RoomCommands commands, Participant p, M message, long receivedAt);
    }

    private static final Map<Class<?>, Handler<?>> HANDLERS = Map.ofEntries(
            entry(ClientMessage.Signal.class, (c, p, m, t) -> c.signal(p, m)),
            entry(ClientMessage.PushPrompt.class, (c, p, m, t) -> c.prompt(p, m)),
            entry(ClientMessage.Mark.class, (c, p, m, t) -> c.mark(p, m)),
            entry(ClientMessage.TimeSync.class, RoomCommands::timeSync),
            entry(ClientMessage.TimeSyncReport.class, (c, p, m, t) -> c.timeSyncReport(p, m)),
            entry(ClientMessage.Mute.class, (c, p, m, t) -> c.mute(p, m)),
            entry(ClientMessage.Kick.class, (c, p, m, t) -> c.kick(p, m)),
            entry(ClientMessage.Lock.class, (c, p, m, t) -> c.lock(p, m)),
            entry(ClientMessage.StartScene.class, (c, p, m, t) -> c.startScene(p, m)),
            entry(ClientMessage.EndScene.class, (c, p, m, t) -> c.endScene(p, m)),
            entry(ClientMessage.Leave.class, (c, p, m, t) -> c.leave(p, m)),
            entry(ClientMessage.MediaState.class, (c, p, m, t) -> c.mediaState(p, m)));

    static {
        for (Class<?> type : ClientMessage.class.getPermittedSubclasses()) {
            if (!HANDLERS.containsKey(type)) {
                throw new ExceptionInInitializerError("no handler for client message " + type.getSimpleName());
            }
        }
    }

    private static <M extends ClientMessage> Map.Entry<Class<?>, Handler<?>> entry(Class<M> type, Handler<M> handler) {
        return Map.entry(type, handler);
    }

    /** The message types this class handles; for tests. */
    static java.util.Set<Class<?>> handledTypes() {
        return HANDLERS.keySet();
    }

    /** Time-sync stamps of our own older than this are refused as replays. */
    private static final long MAX_SYNC_AGE_US = 60_000_000L;
    /** A new clock event is published when the best offset moves by more than this. */
    private static final long CLOCK_EVENT_THRESHOLD_US = 1_000L;

    private final Room room;

    RoomCommands(Room room) {
        this.room = room;
    }

    @SuppressWarnings("unchecked")
    void handle(Participant p, ClientMessage message, long receivedAt) {
        String cid = message.cid();
        if (cid != null) {
            Long applied = room.appliedCids().appliedSeq(p.id(), cid);
            if (applied != null) {
                room.ackDuplicate(p, cid, applied);
                return;
            }
        }
        Handler<ClientMessage> handler = (Handler<ClientMessage>) HANDLERS.get(message.getClass());
        handler.handle(this, p, message, receivedAt);
    }

    /** A signal with a {@code cid} (one without is relayed on the sender's thread): at most once, acked. */
    private void signal(Participant p, ClientMessage.Signal m) {
        if (room.relaySignal(p.id(), p.connection(), m)) {
            ackWithoutEvent(p, m.cid());
        }
    }

    /** A performer's view of its media link to another performer: to every connected moderator, nothing kept. */
    private void mediaState(Participant p, ClientMessage.MediaState m) {
        if (p.role() != Role.PERFORMER) {
            refuse(p, ErrorCode.NOT_AUTHORIZED, "type", "only performers report their media connections", m.cid());
            return;
        }
        Participant peer = room.participant(m.peer());
        if (peer == null || peer == p) {
            refuse(p, ErrorCode.UNKNOWN_PEER, "peer", "no other member '" + m.peer() + "' in this room", m.cid());
            return;
        }
        ServerMessage.MediaStateRelay relay = new ServerMessage.MediaStateRelay(p.id(), peer.id(), m.state(),
                m.video(), m.audio());
        for (Participant moderator : room.connected(Role.MODERATOR)) {
            moderator.sendDirect(relay);
        }
        ackWithoutEvent(p, m.cid());
    }

    private void prompt(Participant p, ClientMessage.PushPrompt m) {
        if (!requireModerator(p, m)) {
            return;
        }
        RoomEvent.Prompt event = new RoomEvent.Prompt(room.nextSeq(), room.clock().nowMicros(), p.id(), m.text(),
                m.durationMs(), m.meta(), room.scene());
        room.lastPrompt(event);
        room.publish(event, p, m.cid());
    }

    private void mark(Participant p, ClientMessage.Mark m) {
        if (p.role() != Role.PERFORMER) {
            refuse(p, ErrorCode.NOT_AUTHORIZED, "type", "only performers send exchange marks", m.cid());
            return;
        }
        ClockEstimate clock = p.clock();
        Long offset = clock.known() ? clock.bestOffset() : null;
        Long serverTs = offset == null ? null : m.clientTs() + offset; // both at most 2^53: no overflow
        long now = room.clock().nowMicros();
        long windowUs = room.limits().clockWindowMs() * 1000;
        if (serverTs != null && Math.abs(serverTs - now) > windowUs) {
            refuse(p, ErrorCode.INVALID_FIELD, "clientTs", "'clientTs' is more than " + windowUs / 1_000_000
                    + " s from the server's time (after your clock offset)", m.cid());
            return;
        }
        // Before any time sync there is no offset: the first such mark anchors the client's clock, and later ones
        // must keep to it within the same window (a clock that jumps is not a clock; send time_sync first).
        if (serverTs == null && Math.abs(m.clientTs() + clock.unsyncedOffset(m.clientTs(), now) - now) > windowUs) {
            refuse(p, ErrorCode.INVALID_FIELD, "clientTs", "'clientTs' is more than " + windowUs / 1_000_000
                    + " s from where your first mark puts your clock now (no time_sync yet)", m.cid());
            return;
        }
        room.publish(new RoomEvent.MarkRecorded(room.nextSeq(), now, p.id(), m.kind(),
                m.clientTs(), serverTs, offset, room.scene()), p, m.cid());
    }

    private void timeSync(Participant p, ClientMessage.TimeSync m, long receivedAt) {
        p.sendDirect(new ServerMessage.TimeSyncReply(m.clientTs(), receivedAt, room.clock().nowMicros()));
        remember(p, m.cid());
    }

    private void timeSyncReport(Participant p, ClientMessage.TimeSyncReport m) {
        long now = room.clock().nowMicros();
        if (m.serverSendTs() > now || m.serverRecvTs() < now - MAX_SYNC_AGE_US) {
            refuse(p, ErrorCode.INVALID_FIELD, "serverRecvTs",
                    "the server stamps must come from a time_sync reply of the last minute", m.cid());
            return;
        }
        long rtt = (m.clientRecvTs() - m.clientTs()) - (m.serverSendTs() - m.serverRecvTs());
        if (rtt < 0) {
            refuse(p, ErrorCode.INVALID_FIELD, "clientRecvTs",
                    "the four stamps give a negative round trip", m.cid());
            return;
        }
        long offset = ((m.serverRecvTs() - m.clientTs()) + (m.serverSendTs() - m.clientRecvTs())) / 2;
        ClockEstimate clock = p.clock();
        long before = clock.known() ? clock.bestOffset() : Long.MIN_VALUE;
        clock.add(offset, rtt);
        boolean firstOrMoved = before == Long.MIN_VALUE || Math.abs(clock.bestOffset() - before) > CLOCK_EVENT_THRESHOLD_US;
        if (firstOrMoved && !p.role().readOnly()) { // observers and recorders create no room events
            room.publish(new RoomEvent.ClockMeasured(room.nextSeq(), now, p.id(), clock.bestOffset(),
                    clock.bestRtt()), p, m.cid());
        } else {
            ackWithoutEvent(p, m.cid());
        }
    }

    private void mute(Participant p, ClientMessage.Mute m) {
        if (!requireModerator(p, m)) {
            return;
        }
        Participant target = room.participant(m.target());
        if (target == null) {
            refuse(p, ErrorCode.UNKNOWN_PEER, "target", "no member '" + m.target() + "' in this room", m.cid());
            return;
        }
        target.muted(m.muted());
        room.publish(new RoomEvent.Muted(room.nextSeq(), room.clock().nowMicros(), p.id(), target.id(), m.muted()),
                p, m.cid());
        room.refreshSummary();
    }

    private void kick(Participant p, ClientMessage.Kick m) {
        if (!requireModerator(p, m)) {
            return;
        }
        Participant target = room.participant(m.target());
        if (target == null || target == p) {
            refuse(p, ErrorCode.UNKNOWN_PEER, "target", "no other member '" + m.target() + "' in this room",
                    m.cid());
            return;
        }
        room.ban(target.id());
        MemberConnection c = target.connection();
        room.attach(target, null);
        String reason = m.reason() == null ? "kicked" : "kicked: " + m.reason();
        room.remove(target, p.id(), reason, m.cid());
        if (c != null) {
            c.close(ErrorCode.KICKED, m.reason() == null ? "removed by a moderator" : m.reason());
        }
    }

    private void lock(Participant p, ClientMessage.Lock m) {
        if (!requireModerator(p, m)) {
            return;
        }
        room.locked(m.locked());
        room.publish(new RoomEvent.RoomLocked(room.nextSeq(), room.clock().nowMicros(), p.id(), m.locked()), p,
                m.cid());
        room.refreshSummary();
    }

    private void startScene(Participant p, ClientMessage.StartScene m) {
        if (!requireModerator(p, m)) {
            return;
        }
        if (room.sceneActive()) {
            refuse(p, ErrorCode.SCENE_STATE, null, "scene " + room.scene() + " is still running; end it first",
                    m.cid());
            return;
        }
        room.startScene(p.id(), m.title(), p, m.cid());
        room.refreshSummary();
    }

    private void endScene(Participant p, ClientMessage.EndScene m) {
        if (!requireModerator(p, m)) {
            return;
        }
        if (!room.sceneActive()) {
            refuse(p, ErrorCode.SCENE_STATE, null, "no scene is running", m.cid());
            return;
        }
        room.endScene(p.id(), p, m.cid());
        room.refreshSummary();
    }

    private void leave(Participant p, ClientMessage.Leave m) {
        MemberConnection c = p.connection();
        room.attach(p, null);
        room.remove(p, p.id(), "left", null);
        remember(p, m.cid()); // after a rejoin, the same leave resent is a duplicate, not a second leave
        if (c != null) {
            if (m.cid() != null) {
                c.send(new ServerMessage.Ack(m.cid(), null, false));
            }
            c.close(ErrorCode.LEFT, "left the room");
        }
    }

    private boolean requireModerator(Participant p, ClientMessage m) {
        if (p.role() == Role.MODERATOR) {
            return true;
        }
        refuse(p, ErrorCode.NOT_AUTHORIZED, "type", "only moderators may send '" + m.typeName() + "'", m.cid());
        return false;
    }

    private void ackWithoutEvent(Participant p, String cid) {
        if (cid != null) {
            remember(p, cid);
            p.sendDirect(new ServerMessage.Ack(cid, null, false));
        }
    }

    /** A message applied without a room event: remembered with seq 0, so a resend gets an ack without seq. */
    private void remember(Participant p, String cid) {
        if (cid != null) {
            room.appliedCids().applied(p.id(), cid, 0);
        }
    }

    private void refuse(Participant p, ErrorCode code, String field, String text, String cid) {
        room.metrics().error(code);
        p.sendDirect(new ServerMessage.Error(code, field, text, cid));
    }
}
