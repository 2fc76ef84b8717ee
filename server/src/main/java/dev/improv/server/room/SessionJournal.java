package dev.improv.server.room;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where rooms write their session log. The room calls it on its owner thread, so no method may block: an
 * implementation queues and lets its own writer thread do the I/O (see {@code eventlog.FileWriteAheadLog}).
 */
public interface SessionJournal {
    /** Starts the log of one room session. */
    JournalSession open(SessionMeta meta, DurabilityListener listener);

    /** Starts the log of one room session, recording the room's limits so that a restart can rebuild it. */
    default JournalSession open(SessionMeta meta, RoomLimits limits, DurabilityListener listener) {
        return open(meta, listener);
    }

    /**
     * Continues the log of a session recovered after a restart (see {@link RecoveredRoom}): events appended go on
     * after its last seq, which counts as durable.
     */
    default JournalSession resume(String roomId, String sessionId, DurabilityListener listener) {
        throw new UnsupportedOperationException("this journal recovers no sessions");
    }

    /** No log at all: every event counts as durable as soon as it is appended. */
    static SessionJournal none() {
        return (meta, listener) -> new JournalSession() {
            @Override
            public void append(long seq, byte[] eventJson) {
                listener.durableUpTo(seq);
            }

            @Override
            public void updateMeta(SessionMeta updated) {
            }

            @Override
            public void close(SessionMeta finalMeta) {
            }
        };
    }

    /** The log of one room session. Producers call from the room's owner thread only. */
    interface JournalSession {
        /** Queues one event line (the exact bytes members received). Never blocks. */
        void append(long seq, byte[] eventJson);

        /**
         * Queues one event that applied client message {@code cid} of participant {@code originPid}; the pair is
         * kept beside the event (not in its bytes) so that a restart still knows the cid was applied.
         */
        default void append(long seq, byte[] eventJson, String originPid, String cid) {
            append(seq, eventJson);
        }

        /**
         * Queues a room fact that is not a room event: {@code "ban"} of participant {@code subject}, or {@code
         * "pool"}: the room was made by lobby pool {@code subject}. Never blocks.
         */
        default void fact(String kind, String subject) {
        }

        /**
         * True while the journal holds more bytes not yet durable than it is allowed to: the room then refuses
         * client messages that would add events, with the retryable {@code LOG_BACKLOG} error.
         */
        default boolean backlogged() {
            return false;
        }

        /**
         * The highest seq members may see now: seqs up to it are durably reserved, so that a restart never gives
         * one of them to another event (it continues above the last reservation). The journal asks for more ahead
         * of use, on its own; events above it wait for {@link DurabilityListener#seqsReserved}. A journal that
         * keeps nothing across a restart reserves everything.
         */
        default long reservedUpTo() {
            return Long.MAX_VALUE;
        }

        /** Queues a new version of the session's metadata file. Never blocks. */
        void updateMeta(SessionMeta meta);

        /** Queues the final metadata and closes the log once everything queued is durable. Never blocks. */
        void close(SessionMeta finalMeta);

        /**
         * Reads the events with seq in [fromSeq, toSeqExclusive) back from the log, on a thread of the journal's
         * own, for resumes and late recorders older than the room's in-memory history. Exactly one callback
         * runs, on that thread; {@code done} gets every event of the range in order, or {@code failed} is told why
         * not. Never blocks the caller.
         */
        default void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                              Consumer<Exception> failed) {
            failed.accept(new UnsupportedOperationException("this server keeps no session log"));
        }
    }

    /**
     * Told by the writer thread what became durable. Implementations must hand the news to their own thread
     * and return at once.
     */
    interface DurabilityListener {
        /** Every event of this session with seq up to and including {@code seq} is durable. */
        void durableUpTo(long seq);

        /** Seqs up to {@code upTo} are durably reserved now (see {@link JournalSession#reservedUpTo}). */
        default void seqsReserved(long upTo) {
        }

        /** Events could not be written; the writer keeps them and retries, nothing is acknowledged meanwhile. */
        default void writeFailed(Exception cause) {
        }

        /** Writing works again after {@link #writeFailed}. */
        default void writeRecovered() {
        }
    }
}
