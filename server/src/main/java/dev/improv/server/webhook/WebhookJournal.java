package dev.improv.server.webhook;

import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The rooms' journal with webhooks on the side: every call goes to the real journal (the session log, or none),
 * and the events that webhooks report are handed to the outbox. On the room's owner thread this costs a prefix
 * comparison of the event bytes and, for the few kinds reported, one non-blocking queue offer.
 */
final class WebhookJournal implements SessionJournal {
    /** The room event types webhooks report, as the serialized events begin (the type is always first). */
    private static final List<byte[]> REPORTED = List.of("member_joined", "member_left", "scene_started",
            "scene_ended", "consent").stream()
            .map(t -> ("{\"type\":\"" + t).getBytes(StandardCharsets.US_ASCII)).toList();

    /** Told about sessions and reported events; must not block. */
    interface Sink {
        void roomStarted(SessionMeta meta);

        void roomEvent(String roomId, String sessionId, long seq, byte[] eventJson);

        void roomEnded(SessionMeta finalMeta);
    }

    private final SessionJournal delegate;
    private final Sink sink;

    WebhookJournal(SessionJournal delegate, Sink sink) {
        this.delegate = delegate;
        this.sink = sink;
    }

    @Override
    public JournalSession open(SessionMeta meta, DurabilityListener listener) {
        JournalSession inner = delegate.open(meta, listener);
        sink.roomStarted(meta);
        return new Reporting(inner, meta.roomId(), meta.sessionId());
    }

    @Override
    public JournalSession open(SessionMeta meta, RoomLimits limits, DurabilityListener listener) {
        JournalSession inner = delegate.open(meta, limits, listener);
        sink.roomStarted(meta);
        return new Reporting(inner, meta.roomId(), meta.sessionId());
    }

    /** A session recovered after a restart: its start was reported before, its events still are. */
    @Override
    public JournalSession resume(String roomId, String sessionId, DurabilityListener listener) {
        return new Reporting(delegate.resume(roomId, sessionId, listener), roomId, sessionId);
    }

    /**
     * The session's journal with the reported events handed to the sink. Every method of {@link JournalSession}
     * is forwarded, defaults included: a default left to the interface would silently drop what the real
     * journal keeps (cids, bans, the backlog bound).
     */
    private final class Reporting implements JournalSession {
        private final JournalSession inner;
        private final String roomId;
        private final String sessionId;

        Reporting(JournalSession inner, String roomId, String sessionId) {
            this.inner = inner;
            this.roomId = roomId;
            this.sessionId = sessionId;
        }

        @Override
        public void append(long seq, byte[] eventJson) {
            inner.append(seq, eventJson);
            report(seq, eventJson);
        }

        @Override
        public void append(long seq, byte[] eventJson, String originPid, String cid) {
            inner.append(seq, eventJson, originPid, cid);
            report(seq, eventJson);
        }

        private void report(long seq, byte[] eventJson) {
            if (reported(eventJson)) {
                sink.roomEvent(roomId, sessionId, seq, eventJson);
            }
        }

        @Override
        public void fact(String kind, String participantId) {
            inner.fact(kind, participantId);
        }

        @Override
        public boolean backlogged() {
            return inner.backlogged();
        }

        @Override
        public long reservedUpTo() {
            return inner.reservedUpTo();
        }

        @Override
        public void updateMeta(SessionMeta updated) {
            inner.updateMeta(updated);
        }

        @Override
        public void close(SessionMeta finalMeta) {
            inner.close(finalMeta);
            sink.roomEnded(finalMeta);
        }

        @Override
        public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                             Consumer<Exception> failed) {
            inner.readBack(fromSeq, toSeqExclusive, done, failed);
        }
    }

    static boolean reported(byte[] json) {
        for (byte[] prefix : REPORTED) {
            if (startsWith(json, prefix)) {
                return true;
            }
        }
        return false;
    }

    /** True when the event's type is exactly the prefix's: {@code {"type":"consent"}, not {@code consent_x}. */
    private static boolean startsWith(byte[] json, byte[] prefix) {
        if (json.length <= prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (json[i] != prefix[i]) {
                return false;
            }
        }
        return json[prefix.length] == '"';
    }
}
