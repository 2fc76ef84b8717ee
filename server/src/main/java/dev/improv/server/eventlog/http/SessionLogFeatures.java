package dev.improv.server.eventlog.http;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.FileLogStorage;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.eventlog.SessionLogWriter;
import dev.improv.server.http.HttpApiHandler;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.transport.ImprovServer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The session log as a server feature: the writer is the rooms' journal, the export routes read sessions back on
 * two threads of their own ({@code session-export-N}). {@link #close()} flushes the log and stops both.
 */
public final class SessionLogFeatures implements ImprovServer.Features {
    private static final int EXPORT_THREADS = 2;

    private final SessionFiles files;
    private final SessionLogWriter writer;
    private final ExecutorService diskReads;

    public SessionLogFeatures(ServerConfig config, ServerMetrics metrics) {
        this.files = new SessionFiles(config.dataDir());
        this.writer = new SessionLogWriter(new FileLogStorage(files),
                SessionLogWriter.Settings.of(config.fsync(), config.fsyncIntervalMs()), metrics);
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
        return writer;
    }

    @Override
    public List<HttpApiHandler.ApiExtension> httpExtensions(ImprovServer.Parts parts) {
        return List.of(new SessionExportRoutes(new SessionArchive(files), diskReads));
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
