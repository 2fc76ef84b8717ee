package dev.improv.server.app;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.FileWalStorage;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.WalSegments;
import dev.improv.server.eventlog.WalStorage;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.eventlog.WriteAheadLog;
import dev.improv.server.http.Route;
import dev.improv.server.http.SessionRoutes;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SessionJournal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's write-ahead log as a feature: it is the rooms' journal and the pools' journal (built before both),
 * it rebuilds rooms and pools on start ({@link #recover}), and the export routes read sessions back on two threads
 * of their own ({@code session-export-N}). {@link #close()} flushes the log.
 */
final class SessionLogFeature implements Feature {
    private static final Logger LOG = LoggerFactory.getLogger(SessionLogFeature.class);
    private static final int EXPORT_THREADS = 2;

    private final FileWriteAheadLog log;
    private final ExecutorService diskReads;
    private final SessionRoutes routes;
    private final dev.improv.server.dataset.ExportJobs exports;

    /** {@code storage}: where the log is written; {@code null} for the data dir's files. */
    SessionLogFeature(ServerConfig config, ServerMetrics metrics, WalStorage storage) {
        SessionFiles files = new SessionFiles(config.dataDir());
        try {
            FileWriteAheadLog.Settings settings = FileWriteAheadLog.Settings.of(config.fsync(),
                    config.fsyncIntervalMs()).withSegmentBytes(config.log().segmentBytes())
                    .withBacklogBytes(config.log().backlogBytes())
                    .withCheckpointBytes(config.log().checkpointBytes())
                    .withLingerMicros(config.log().lingerMicros());
            WalSegments segments = new WalSegments(config.dataDir());
            this.log = new FileWriteAheadLog(segments, storage != null ? storage : new FileWalStorage(segments,
                    FileWalStorage.zeroStepFor(settings.segmentBytes())),
                    files, settings, metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the write-ahead log under " + config.dataDir(), e);
        }
        AtomicInteger n = new AtomicInteger();
        this.diskReads = Executors.newFixedThreadPool(EXPORT_THREADS, task -> {
            Thread t = new Thread(task, "session-export-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        SessionArchive archive = new SessionArchive(files, log);
        try {
            this.exports = new dev.improv.server.dataset.ExportJobs(config.dataDir(), archive,
                    dev.improv.server.config.ServerCommand.serverVersion(), config.qc());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dataset signing key under " + config.dataDir(), e);
        }
        this.routes = new SessionRoutes(archive, files, diskReads, exports);
    }

    SessionJournal journal() {
        return log;
    }

    LobbyJournal lobbyJournal() {
        return log;
    }

    /**
     * Folds what the log held back into live state, before the port opens: pools first (the rooms they opened
     * need their time listener), then rooms under their old ids.
     */
    void recover(RoomRegistry rooms, LobbyRegistry lobbies) {
        long start = System.nanoTime();
        WriteAheadLog.Recovered r = log.takeRecovered();
        for (String problem : r.problems()) {
            LOG.warn("write-ahead log: {}", problem);
        }
        lobbies.snapshotWhen(log::segmentRolls); // pools snapshot at each segment roll: their older facts can go
        int pools = 0;
        for (List<LobbyFact> facts : r.pools().values()) {
            if (lobbies.restore(facts) != null) {
                pools++;
            }
        }
        int restored = 0;
        int crashed = 0;
        for (RecoveredRoom room : r.rooms()) {
            if (rooms.restore(room, lobbies.recoveredRoomListener(room.roomId())) != null) {
                restored++;
            } else {
                crashed++;
                LOG.warn("session {} (room {}) cannot go on ({}): closed as crashed at its last event",
                        room.sessionId(), room.roomId(), room.damage() != null ? room.damage()
                                : "closed before the crash");
            }
        }
        if (pools + restored + crashed > 0) {
            LOG.info("recovered from the log: {} rooms, {} pools, {} sessions closed as crashed, in {} ms", restored,
                    pools, crashed, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
    }

    /** The dataset export jobs (webhooks hear when one ends). */
    dev.improv.server.dataset.ExportJobs exports() {
        return exports;
    }

    @Override
    public List<Route> routes() {
        return routes.routes();
    }

    @Override
    public void close() {
        diskReads.shutdown();
        exports.close();
        log.close();
        try {
            diskReads.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
