package dev.improv.server.take;

import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The rooms' journal with takes on the side: every call goes to the real journal, and the events that open and
 * close takes ({@code scene_started}, {@code scene_ended}, {@code room_closed}) are handed to {@link Takes}. On
 * the room's owner thread this costs a prefix comparison and, for those few events, one queue offer.
 */
public final class TakeJournal implements SessionJournal {
    private static final List<byte[]> WATCHED = List.of("scene_started", "scene_ended", "room_closed").stream()
            .map(t -> ("{\"type\":\"" + t + "\"").getBytes(StandardCharsets.US_ASCII)).toList();

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

    /** Forwards every method, defaults included (a default left to the interface would drop what the log keeps). */
    private final class Watching implements JournalSession {
        private final JournalSession inner;
        private final String roomId;
        private final String sessionId;

        Watching(JournalSession inner, String roomId, String sessionId) {
            this.inner = inner;
            this.roomId = roomId;
            this.sessionId = sessionId;
        }

        @Override
        public void append(long seq, byte[] eventJson) {
            inner.append(seq, eventJson);
            watch(eventJson);
        }

        @Override
        public void append(long seq, byte[] eventJson, String originPid, String cid) {
            inner.append(seq, eventJson, originPid, cid);
            watch(eventJson);
        }

        private void watch(byte[] json) {
            for (byte[] prefix : WATCHED) {
                if (json.length > prefix.length && java.util.Arrays.equals(json, 0, prefix.length, prefix, 0,
                        prefix.length)) {
                    takes.roomEvent(roomId, sessionId, json);
                    return;
                }
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
        }

        @Override
        public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                             Consumer<Exception> failed) {
            inner.readBack(fromSeq, toSeqExclusive, done, failed);
        }
    }
}
