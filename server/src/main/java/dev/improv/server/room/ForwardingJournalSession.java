package dev.improv.server.room;

import java.util.List;
import java.util.function.Consumer;

/**
 * A session's journal that forwards every call to another, defaults included (a default left to the interface
 * would silently drop what the real journal keeps: cids, bans, the backlog bound), and tells {@link #appended}
 * about each event after forwarding it. For journals that watch events on the side (webhooks, takes). Called
 * on the room's owner thread like any journal session: {@link #appended} must not block.
 */
public abstract class ForwardingJournalSession implements SessionJournal.JournalSession {
    private final SessionJournal.JournalSession inner;

    protected ForwardingJournalSession(SessionJournal.JournalSession inner) {
        this.inner = inner;
    }

    /** One event was appended (the exact bytes members received). */
    protected abstract void appended(long seq, byte[] eventJson);

    /** The session's final metadata was queued and the journal closes. */
    protected void closed(SessionMeta finalMeta) {
    }

    @Override
    public final void append(long seq, byte[] eventJson) {
        inner.append(seq, eventJson);
        appended(seq, eventJson);
    }

    @Override
    public final void append(long seq, byte[] eventJson, String originPid, String cid) {
        inner.append(seq, eventJson, originPid, cid);
        appended(seq, eventJson);
    }

    @Override
    public final void fact(String kind, String participantId) {
        inner.fact(kind, participantId);
    }

    @Override
    public final boolean backlogged() {
        return inner.backlogged();
    }

    @Override
    public final long reservedUpTo() {
        return inner.reservedUpTo();
    }

    @Override
    public final void updateMeta(SessionMeta updated) {
        inner.updateMeta(updated);
    }

    @Override
    public final void close(SessionMeta finalMeta) {
        inner.close(finalMeta);
        closed(finalMeta);
    }

    @Override
    public final void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                               Consumer<Exception> failed) {
        inner.readBack(fromSeq, toSeqExclusive, done, failed);
    }
}
