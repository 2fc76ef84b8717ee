package dev.improv.server.eventlog;

import dev.improv.server.match.LobbyFact;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The start-up fold of the log, one record at a time in log order: per session not yet exported, its index and
 * (while it is open) a {@link RecoveredRoom}; per pool, its facts; per segment, what it holds (for retention).
 * A session whose close is in the log drops its room fold at once, so memory follows open sessions only.
 * Start-up thread only.
 */
final class WalRecovery implements WalSegments.Visitor {
    /** A session found in the log. */
    static final class SessionFold {
        final String id;
        final SeqIndex index = new SeqIndex();
        RecoveredRoom room;
        SessionMeta meta;
        byte[] closeBody;
        /** The last seq reservation in the log: the restarted room goes on above it. */
        long reserved;
        /** The segment in which this session was last noted as having records (for retention). */
        int notedIn = -1;

        SessionFold(String id) {
            this.id = id;
        }
    }

    final Map<String, SessionFold> sessions = new LinkedHashMap<>();
    final Map<String, List<LobbyFact>> pools = new LinkedHashMap<>();
    final Map<Integer, FileWriteAheadLog.SegmentUse> uses = new HashMap<>();
    final List<String> problems = new ArrayList<>();
    long records;
    private int orphans;
    /** The segment being scanned and what it holds (records come segment by segment). */
    private FileWriteAheadLog.SegmentUse use;
    private int useSegment;

    @Override
    public void record(WalRecord r, long position) throws IOException {
        records++;
        int segment = WalFormat.segmentOf(position);
        if (use == null || segment != useSegment) {
            use = uses.computeIfAbsent(segment, k -> new FileWriteAheadLog.SegmentUse());
            useSegment = segment;
        }
        if (r.type() == WalRecord.Type.POOL_FACT) {
            use.poolFacts = true;
            try {
                pools.computeIfAbsent(r.key(), k -> new ArrayList<>())
                        .add(ProtocolCodec.mapper().readValue(r.body(), LobbyFact.class));
            } catch (IOException e) {
                problem("pool " + r.key() + ": unreadable fact skipped (" + e.getMessage() + ")");
            }
            return;
        }
        if (r.type() != WalRecord.Type.SESSION_OPEN) {
            SessionFold known = sessions.get(r.key());
            if (known == null || known.notedIn != segment) { // once per session and segment, not per record
                use.sessions.add(r.key());
                if (known != null) {
                    known.notedIn = segment;
                }
            }
        } else {
            use.sessions.add(r.key());
        }
        if (r.type() == WalRecord.Type.SESSION_OPEN) {
            WalFacts.SessionOpened o = ProtocolCodec.mapper().readValue(r.body(), WalFacts.SessionOpened.class);
            SessionFold f = new SessionFold(r.key());
            f.notedIn = segment;
            f.room = new RecoveredRoom(o.sessionId(), o.roomId(), o.roomName(), o.startedAt(), o.limits().toLimits());
            f.meta = new SessionMeta(o.sessionId(), o.roomId(), o.roomName(), o.startedAt(), null,
                    dev.improv.server.protocol.ServerMessage.PROTOCOL_VERSION, null, List.of(), List.of());
            sessions.put(r.key(), f);
            return;
        }
        SessionFold f = sessions.get(r.key());
        if (f == null) {
            if (r.type() != WalRecord.Type.SESSION_EXPORTED && orphans++ < 10) {
                problem("session " + r.key() + ": " + r.type() + " without an open session, skipped");
            }
            return;
        }
        switch (r.type()) {
            case EVENT -> {
                try {
                    f.index.add(r.seq(), position);
                } catch (IllegalStateException e) {
                    problem("session " + r.key() + ": " + e.getMessage());
                }
                if (f.room != null) {
                    f.room.event(r.seq(), r.body(), r.originPid(), r.cid());
                }
            }
            case SEQ_RESERVE -> {
                f.reserved = r.seq();
                if (f.room != null) {
                    f.room.reserved(r.seq());
                }
            }
            case ROOM_FACT -> {
                WalFacts.RoomFact fact = ProtocolCodec.mapper().readValue(r.body(), WalFacts.RoomFact.class);
                if (f.room != null && "ban".equals(fact.fact())) {
                    f.room.ban(fact.participant());
                }
            }
            case SESSION_CLOSE -> {
                f.closeBody = r.body();
                f.meta = ProtocolCodec.mapper().readValue(r.body(), SessionMeta.class);
                f.room = null;
            }
            case SESSION_EXPORTED -> sessions.remove(r.key());
            default -> {
                // META: rebuilt from the events
            }
        }
    }

    private void problem(String what) {
        problems.add(what);
    }

    /** The sessions still open at the end of the log, in the order they opened. */
    List<RecoveredRoom> openRooms() {
        List<RecoveredRoom> out = new ArrayList<>();
        for (SessionFold f : sessions.values()) {
            if (f.room != null) {
                out.add(f.room);
            }
        }
        return out;
    }
}
