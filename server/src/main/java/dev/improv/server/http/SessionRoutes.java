package dev.improv.server.http;

import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Admin-only export of session logs:
 * <ul>
 *   <li>{@code GET /api/sessions}: every session on disk, from its {@code meta.json}</li>
 *   <li>{@code GET /api/sessions/{id}}: the session's metadata</li>
 *   <li>{@code GET /api/sessions/{id}/log}: the log as JSONL ({@code application/x-ndjson}), without a torn tail</li>
 *   <li>{@code GET /api/sessions/{id}/dataset}: the training view (see {@code docs/dataset.md})</li>
 * </ul>
 * The id must match {@link SessionFiles#ID} before it reaches the file system, and no symbolic link under the
 * sessions folder is followed (a link planted there could point anywhere). Checks run on the I/O thread; file
 * reading runs on {@code diskReads}, which answers.
 */
public final class SessionRoutes {
    static final String NDJSON = "application/x-ndjson; charset=utf-8";

    private final SessionArchive archive;
    private final SessionFiles files;
    private final Executor diskReads;

    public SessionRoutes(SessionFiles files, Executor diskReads) {
        this(new SessionArchive(files), files, diskReads);
    }

    /** Routes over an archive that also reads sessions not yet exported from the node's log. */
    public SessionRoutes(SessionArchive archive, SessionFiles files, Executor diskReads) {
        this.files = files;
        this.archive = archive;
        this.diskReads = diskReads;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/api/sessions", Route.Access.ADMIN, ex -> offThread(ex, () -> ex.json(HttpResponseStatus.OK,
                        Map.of("sessions", archive.list().stream().filter(s -> !linked(s.id())).toList())))),
                Route.get("/api/sessions/{id}", Route.Access.ADMIN, ex -> session(ex, id -> ex.json(
                        HttpResponseStatus.OK, archive.meta(id).<Object>map(m -> m).orElse(Map.of("sessionId", id))))),
                Route.get("/api/sessions/{id}/log", Route.Access.ADMIN, ex -> session(ex, id -> streamLog(ex, id))),
                Route.get("/api/sessions/{id}/dataset", Route.Access.ADMIN, ex -> session(ex,
                        id -> ex.json(HttpResponseStatus.OK, archive.dataset(id)))));
    }

    /** The log a chunk at a time, paced by the connection (never the whole session in memory). */
    private void streamLog(HttpExchange ex, String id) throws IOException {
        SessionArchive.LogStream log = archive.openLog(id);
        ex.stream(HttpResponseStatus.OK, NDJSON, new HttpExchange.ChunkSource() {
            @Override
            public byte[] next() throws IOException {
                return log.next();
            }

            @Override
            public void close() throws IOException {
                log.close();
            }
        }, diskReads);
    }

    @FunctionalInterface
    private interface DiskWork {
        void run() throws IOException;
    }

    @FunctionalInterface
    private interface SessionWork {
        void run(String id) throws IOException;
    }

    private void session(HttpExchange ex, SessionWork work) {
        String id = ex.param("id");
        if (!SessionFiles.validId(id)) {
            throw ApiError.invalid("id", "a session id is letters, digits and '-' only");
        }
        offThread(ex, () -> {
            if (linked(id) || !archive.exists(id)) {
                ex.error(HttpResponseStatus.NOT_FOUND, new ApiError(ApiError.SESSION_NOT_FOUND, "id",
                        "no session '" + id + "'"));
            } else {
                work.run(id);
            }
        });
    }

    /** Whether the sessions folder, the session's folder or one of its files is a symbolic link. */
    private boolean linked(String id) {
        Path dir = files.dir(id);
        return Files.isSymbolicLink(files.root()) || Files.isSymbolicLink(dir)
                || Files.isSymbolicLink(dir.resolve(SessionFiles.EVENTS))
                || Files.isSymbolicLink(dir.resolve(SessionFiles.META));
    }

    /** Runs {@code work} on the disk executor; it answers from there. */
    private void offThread(HttpExchange ex, DiskWork work) {
        try {
            diskReads.execute(() -> {
                try {
                    work.run();
                } catch (Exception e) {
                    ex.fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, new ApiError("SERVER_SHUTDOWN", null,
                    "the server is shutting down"));
        }
    }
}
