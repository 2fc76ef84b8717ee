package dev.improv.server.app;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.FileLogStorage;
import dev.improv.server.eventlog.LogStorage;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.eventlog.SessionLogWriter;
import dev.improv.server.http.Route;
import dev.improv.server.http.SessionRoutes;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.SessionJournal;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The session log as a feature: its writer is the rooms' journal (built before the rooms), and the export routes
 * read sessions back on two threads of their own ({@code session-export-N}). {@link #close()} flushes the log.
 */
final class SessionLogFeature implements Feature {
    private static final int EXPORT_THREADS = 2;

    private final SessionLogWriter writer;
    private final ExecutorService diskReads;
    private final SessionRoutes routes;

    /** {@code storage}: where the log is written; {@code null} for the data dir's files. */
    SessionLogFeature(ServerConfig config, ServerMetrics metrics, LogStorage storage) {
        SessionFiles files = new SessionFiles(config.dataDir());
        this.writer = new SessionLogWriter(storage != null ? storage : new FileLogStorage(files),
                SessionLogWriter.Settings.of(config.fsync(), config.fsyncIntervalMs()), metrics);
        AtomicInteger n = new AtomicInteger();
        this.diskReads = Executors.newFixedThreadPool(EXPORT_THREADS, task -> {
            Thread t = new Thread(task, "session-export-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.routes = new SessionRoutes(files, diskReads);
    }

    SessionJournal journal() {
        return writer;
    }

    @Override
    public List<Route> routes() {
        return routes.routes();
    }

    @Override
    public void close() {
        diskReads.shutdown();
        writer.close();
        try {
            diskReads.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
