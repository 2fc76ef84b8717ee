package dev.improv.server.eventlog;

import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node's write-ahead log, the seam every durable fact goes through: room sessions ({@link SessionJournal})
 * and pool facts ({@link LobbyJournal}), plus what the log held when the node started. {@link FileWriteAheadLog}
 * is the local implementation (segment files, one writer thread, group commit); a cluster would put a replicated
 * stream behind the same interface.
 */
public interface WriteAheadLog extends SessionJournal, LobbyJournal, AutoCloseable {
    /**
     * What the log held at start, folded: room sessions still open (to be rebuilt or closed as crashed) and the
     * facts of every pool in log order. Handed out once; later calls get an empty result.
     */
    Recovered takeRecovered();

    /** A session still held in the log (running, or closed and not yet exported): its metadata and events. */
    Optional<LiveSession> live(String sessionId);

    /** Ids of the sessions {@link #live} knows, oldest first. */
    List<String> liveIds();

    /** Flushes everything queued, exports closed sessions, closes the files. */
    @Override
    void close();

    /** The start-up fold of the log. */
    record Recovered(List<RecoveredRoom> rooms, Map<String, List<LobbyFact>> pools, List<String> problems) {
    }

    /** A session read through the log's per-session index. Blocking reads: not on an I/O or room thread. */
    interface LiveSession {
        SessionMeta meta();

        long lastSeq();

        /** The stored bytes of events [fromSeq, toSeq], in order, each handed to {@code sink}. */
        void events(long fromSeq, long toSeq, EventSink sink) throws IOException;
    }

    @FunctionalInterface
    interface EventSink {
        void event(long seq, byte[] bytes) throws IOException;
    }
}
