package dev.improv.server.webhook;

import dev.improv.server.room.EventTypePrefix;
import dev.improv.server.room.ForwardingJournalSession;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;

/**
 * The rooms' journal with webhooks on the side: every call goes to the real journal (the session log, or none),
 * and the events that webhooks report are handed to the outbox. On the room's owner thread this costs a prefix
 * comparison of the event bytes and, for the few kinds reported, one non-blocking queue offer.
 */
final class WebhookJournal implements SessionJournal {
    /** The room event types webhooks report, as the serialized events begin (the type is always first). */
    private static final EventTypePrefix REPORTED = EventTypePrefix.of(WebhookEventType.roomEventTypes());

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

    /** The session's journal with the reported events handed to the sink (every call forwarded). */
    private final class Reporting extends ForwardingJournalSession {
        private final String roomId;
        private final String sessionId;

        Reporting(JournalSession inner, String roomId, String sessionId) {
            super(inner);
            this.roomId = roomId;
            this.sessionId = sessionId;
        }

        @Override
        protected void appended(long seq, byte[] eventJson) {
            if (reported(eventJson)) {
                sink.roomEvent(roomId, sessionId, seq, eventJson);
            }
        }

        @Override
        protected void closed(SessionMeta finalMeta) {
            sink.roomEnded(finalMeta);
        }
    }

    static boolean reported(byte[] json) {
        return REPORTED.matches(json);
    }
}
