package dev.improv.server.take;

import dev.improv.server.room.EventTypePrefix;
import dev.improv.server.room.ForwardingJournalSession;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;

/**
 * The rooms' journal with takes on the side: every call goes to the real journal, and the events that open and
 * close takes ({@code scene_started}, {@code scene_ended}, {@code room_closed}) are handed to {@link Takes}. On
 * the room's owner thread this costs a prefix comparison and, for those few events, one queue offer.
 */
public final class TakeJournal implements SessionJournal {
    private static final EventTypePrefix WATCHED = EventTypePrefix.of("scene_started", "scene_ended", "room_closed");

    private final SessionJournal delegate;
    private final Takes takes;

    public TakeJournal(SessionJournal delegate, Takes takes) {
        this.delegate = delegate;
        this.takes = takes;
    }

    @Override
    public JournalSession open(SessionMeta meta, DurabilityListener listener) {
        return new Watching(delegate.open(meta, listener), meta.roomId(), meta.sessionId());
    }

    @Override
    public JournalSession open(SessionMeta meta, RoomLimits limits, DurabilityListener listener) {
        return new Watching(delegate.open(meta, limits, listener), meta.roomId(), meta.sessionId());
    }

    @Override
    public JournalSession resume(String roomId, String sessionId, DurabilityListener listener) {
        return new Watching(delegate.resume(roomId, sessionId, listener), roomId, sessionId);
    }

    /** The session's journal with the take events handed to the takes thread. */
    private final class Watching extends ForwardingJournalSession {
        private final String roomId;
        private final String sessionId;

        Watching(JournalSession inner, String roomId, String sessionId) {
            super(inner);
            this.roomId = roomId;
            this.sessionId = sessionId;
        }

        @Override
        protected void appended(long seq, byte[] json) {
            if (WATCHED.matches(json)) {
                takes.roomEvent(roomId, sessionId, json);
            }
        }
    }
}
