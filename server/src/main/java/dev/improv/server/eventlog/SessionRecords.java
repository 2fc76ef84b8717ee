package dev.improv.server.eventlog;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one room session in the write-ahead log's own format, for a log that keeps each session apart
 * (the cluster's JetStream stream, one subject per room): building them, framing a batch of them into one byte
 * array (the segment frame layout of {@link WalFormat}, CRC-checked), and folding a session's records back into a
 * {@link RecoveredRoom} exactly as the node's log does at start. Stateless apart from {@link Fold}; any thread.
 */
public final class SessionRecords {
    private static final byte[] NO_BODY = new byte[0];

    private SessionRecords() {
    }

    public static WalRecord opened(SessionMeta meta, RoomLimits limits) {
        return WalRecord.of(WalRecord.Type.SESSION_OPEN, meta.sessionId(), json(new WalFacts.SessionOpened(
                meta.sessionId(), meta.roomId(), meta.roomName(), meta.startedAt(), WalFacts.Limits.of(limits))));
    }

    /** A room event (its exact bytes), with the cid it applied for {@code originPid} when both are given. */
    public static WalRecord event(String sessionId, long seq, byte[] eventJson, String originPid, String cid) {
        String tag = originPid != null && cid != null ? originPid + " " + cid : "";
        return new WalRecord(WalRecord.Type.EVENT, sessionId, seq, tag, eventJson);
    }

    /** Seqs of the session reserved up to {@code upTo}. */
    public static WalRecord reserve(String sessionId, long upTo) {
        return new WalRecord(WalRecord.Type.SEQ_RESERVE, sessionId, upTo, "", NO_BODY);
    }

    /** A room fact that is not an event: {@code "ban"} of a participant, or another kind the fold passes over. */
    public static WalRecord fact(String sessionId, String kind, String participantId) {
        return WalRecord.of(WalRecord.Type.ROOM_FACT, sessionId, json(new WalFacts.RoomFact(kind, participantId)));
    }

    /** The session's close, with its final metadata ({@code endedAt} now when the room gave none). */
    public static WalRecord closed(SessionMeta finalMeta) {
        SessionMeta m = finalMeta.endedAt() != null ? finalMeta : new SessionMeta(finalMeta.sessionId(),
                finalMeta.roomId(), finalMeta.roomName(), finalMeta.startedAt(), System.currentTimeMillis() * 1_000,
                finalMeta.protocolVersion(), finalMeta.serverVersion(), finalMeta.participants(), finalMeta.scenes());
        return WalRecord.of(WalRecord.Type.SESSION_CLOSE, m.sessionId(), json(m));
    }

    /** Bytes {@code r} takes in a framed batch. */
    public static int frameBytes(WalRecord r) {
        return WalFormat.frameBytes(r);
    }

    /** One byte array holding every record, each as a checksummed frame. */
    public static byte[] frames(List<WalRecord> records) {
        int size = 0;
        for (WalRecord r : records) {
            size += frameBytes(r);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (WalRecord r : records) {
            WalFormat.encode(r, out);
        }
        return out.array();
    }

    /** The records of a framed batch, in order; a damaged frame fails the whole batch. */
    public static List<WalRecord> unframe(byte[] batch) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(batch);
        List<WalRecord> out = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 8) {
                throw new IOException("batch ends inside a frame header");
            }
            int length = WalFormat.payloadLength(in);
            int crc = in.getInt(in.position() + 4);
            if (length < 0 || in.remaining() < 8 + length) {
                throw new IOException("batch frame of bad length at " + in.position());
            }
            ByteBuffer payload = in.duplicate();
            payload.position(in.position() + 8).limit(in.position() + 8 + length);
            WalRecord r = WalFormat.decode(crc, payload.slice());
            if (r == null) {
                throw new IOException("batch frame at " + in.position() + " fails its checksum");
            }
            out.add(r);
            in.position(in.position() + 8 + length);
        }
        return out;
    }

    private static byte[] json(Object value) {
        try {
            return ProtocolCodec.mapper().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("log record could not be encoded", e);
        }
    }

    /**
     * Folds the records of one session, in log order, as {@code WalRecovery} folds a session of the node's log:
     * the room (seq, scene, roster, bans, cids, last events), its last seq reservation, and whether it closed.
     * One thread; not shared.
     */
    public static final class Fold {
        private RecoveredRoom room;
        private String sessionId;
        private boolean closed;
        private final List<String> problems = new ArrayList<>();

        public void add(WalRecord r) throws IOException {
            if (r.type() == WalRecord.Type.SESSION_OPEN) {
                if (room != null) {
                    problems.add("session " + r.key() + " opened twice; the second opening is skipped");
                    return;
                }
                WalFacts.SessionOpened o = ProtocolCodec.mapper().readValue(r.body(), WalFacts.SessionOpened.class);
                sessionId = o.sessionId();
                room = new RecoveredRoom(o.sessionId(), o.roomId(), o.roomName(), o.startedAt(),
                        o.limits().toLimits());
                return;
            }
            if (room == null || !r.key().equals(sessionId)) {
                problems.add(r.type() + " of " + r.key() + " without its session's opening, skipped");
                return;
            }
            switch (r.type()) {
                case EVENT -> room.event(r.seq(), r.body(), r.originPid(), r.cid());
                case SEQ_RESERVE -> room.reserved(r.seq());
                case ROOM_FACT -> {
                    WalFacts.RoomFact fact = ProtocolCodec.mapper().readValue(r.body(), WalFacts.RoomFact.class);
                    if ("ban".equals(fact.fact())) {
                        room.ban(fact.participant());
                    } else if ("pool".equals(fact.fact())) { // its subject names the pool (see Room.bindToPool)
                        room.pool(fact.participant());
                    }
                }
                case SESSION_CLOSE -> closed = true;
                default -> {
                    // META is rebuilt from the events; the rest do not occur in one session's records
                }
            }
        }

        /** The folded room, or null when no session opened. */
        public RecoveredRoom room() {
            return room;
        }

        public String sessionId() {
            return sessionId;
        }

        /** True when the session's close is among the records. */
        public boolean closed() {
            return closed;
        }

        public List<String> problems() {
            return problems;
        }
    }
}
