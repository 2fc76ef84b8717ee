package dev.improv.server.eventlog.http;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.eventlog.WriteAheadLog;
import dev.improv.server.http.HttpApiHandler;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.transport.ImprovServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's write-ahead log as a server feature: it is the rooms' journal and the pools' journal, it rebuilds
 * rooms and pools on start ({@link #recover}), and the export routes read sessions back on two threads of their
 * own ({@code session-export-N}). {@link #close()} flushes the log and stops both.
 */
public final class SessionLogFeatures implements ImprovServer.Features {
    private static final Logger LOG = LoggerFactory.getLogger(SessionLogFeatures.class);
    private static final int EXPORT_THREADS = 2;

    private final SessionFiles files;
    private final FileWriteAheadLog log;
    private final ExecutorService diskReads;

    public SessionLogFeatures(ServerConfig config, ServerMetrics metrics) {
        this.files = new SessionFiles(config.dataDir());
        try {
            this.log = FileWriteAheadLog.open(config.dataDir(),
                    FileWriteAheadLog.Settings.of(config.fsync(), config.fsyncIntervalMs())
                            .withSegmentBytes(config.log().segmentBytes())
                            .withBacklogBytes(config.log().backlogBytes()), metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the write-ahead log under " + config.dataDir(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory named = task -> {
            Thread t = new Thread(task, "session-export-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.diskReads = Executors.newFixedThreadPool(EXPORT_THREADS, named);
    }

    @Override
    public SessionJournal journal() {
        return log;
    }

    @Override
    public boolean keepsRooms() {
        return true;
    }

    @Override
    public LobbyJournal lobbyJournal() {
        return log;
    }

    /** Pools first (rooms they opened need their time listener), then rooms, each under its old id. */
    @Override
    public void recover(ImprovServer.Parts parts) {
        long start = System.nanoTime();
        WriteAheadLog.Recovered r = log.takeRecovered();
        for (String problem : r.problems()) {
            LOG.warn("write-ahead log: {}", problem);
        }
        int pools = 0;
        for (List<LobbyFact> facts : r.pools().values()) {
            if (parts.lobbies().restore(facts) != null) {
                pools++;
            }
        }
        int rooms = 0;
        int crashed = 0;
        for (RecoveredRoom room : r.rooms()) {
            if (parts.rooms().restore(room, parts.lobbies().recoveredRoomListener(room.roomId())) != null) {
                rooms++;
            } else {
                crashed++;
                LOG.warn("session {} (room {}) cannot go on ({}): closed as crashed at its last event",
                        room.sessionId(), room.roomId(), room.damage() != null ? room.damage()
                                : "closed before the crash");
            }
        }
        if (pools + rooms + crashed > 0) {
            LOG.info("recovered from the log: {} rooms, {} pools, {} sessions closed as crashed, in {} ms", rooms,
                    pools, crashed, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
    }

    @Override
    public List<HttpApiHandler.ApiExtension> httpExtensions(ImprovServer.Parts parts) {
        return List.of(new SessionExportRoutes(new SessionArchive(files, log), diskReads));
    }

    @Override
    public void close() {
        diskReads.shutdown();
        log.close();
        try {
            diskReads.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
