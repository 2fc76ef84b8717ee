package dev.improv.server.http;

import dev.improv.server.dataset.ConsentScope;
import dev.improv.server.dataset.ExportException;
import dev.improv.server.dataset.ExportJobs;
import dev.improv.server.dataset.ExportRequest;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Admin-only export of session logs:
 * <ul>
 *   <li>{@code GET /api/sessions}: every session on disk, from its {@code meta.json}</li>
 *   <li>{@code GET /api/sessions/{id}}: the session's metadata</li>
 *   <li>{@code GET /api/sessions/{id}/log}: the log as JSONL ({@code application/x-ndjson}), without a torn tail</li>
 *   <li>{@code GET /api/sessions/{id}/dataset}: the training view (see {@code docs/dataset.md})</li>
 *   <li>{@code POST /api/exports}, {@code GET /api/exports[/{id}]}: dataset exports, run by {@link ExportJobs}</li>
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
    /** Dataset exports (docs/dataset.md); null: the export routes are not served. */
    private final ExportJobs exports;

    public SessionRoutes(SessionFiles files, Executor diskReads) {
        this(new SessionArchive(files), files, diskReads, null);
    }

    /** Routes over an archive that also reads sessions not yet exported from the node's log. */
    public SessionRoutes(SessionArchive archive, SessionFiles files, Executor diskReads, ExportJobs exports) {
        this.files = files;
        this.archive = archive;
        this.diskReads = diskReads;
        this.exports = exports;
    }

    /** The body of {@code POST /api/exports}: every field optional (see docs/dataset.md, "Exporting"). */
    public record ExportBody(List<String> sessions, List<String> pools, String from, String to, List<String> scopes,
                             String vendor, Long shardBytes, List<String> languages, String license, String name) {
        ExportRequest request() {
            try {
                return new ExportRequest(sessions, pools == null ? null : java.util.Set.copyOf(pools), date("from", from),
                        date("to", to), ConsentScope.parseAll(scopes == null ? List.of() : scopes), vendor,
                        shardBytes == null ? 0 : shardBytes, languages, license);
            } catch (ExportException e) {
                throw ApiError.invalid(e.field(), e.getMessage());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("scopes", e.getMessage());
            }
        }

        private static java.time.LocalDate date(String field, String value) {
            try {
                return value == null ? null : java.time.LocalDate.parse(value);
            } catch (java.time.format.DateTimeParseException e) {
                throw ApiError.invalid(field, "a UTC date as yyyy-mm-dd, not '" + value + "'");
            }
        }
    }

    /** {@code GET /api/exports}. */
    public record ExportList(List<ExportJobs.Job> exports) {
    }

    private List<Route> exportRoutes() {
        if (exports == null) {
            return List.of();
        }
        return List.of(
                Route.post("/api/exports", Route.Access.ADMIN, ex -> {
                    ExportBody body = ex.body(ExportBody.class);
                    ExportRequest req = body.request();
                    offThread(ex, () -> {
                        try {
                            ex.json(HttpResponseStatus.ACCEPTED, exports.start(req, body.name()));
                        } catch (ExportException e) {
                            throw ApiError.invalid(e.field(), e.getMessage());
                        } catch (RejectedExecutionException e) {
                            ex.error(HttpResponseStatus.TOO_MANY_REQUESTS, new ApiError("EXPORTS_BUSY", null,
                                    "exports already wait; try again when one is done"));
                        }
                    });
                }).documented(ApiDoc.of("Start a dataset export (WebDataset shards, Parquet, card, Croissant, "
                                + "signed manifest) into the data directory's exports/ folder")
                        .describe("Checked at once (unknown session or pool, empty date range, unknown scope: 400 "
                                + "naming the field), then run on the export thread; poll GET /api/exports/{id}. "
                                + "See docs/dataset.md.")
                        .body(ExportBody.class)
                        .answers(202, "the job, queued", ExportJobs.Job.class)
                        .fails(400, "a field is wrong or nothing matches").fails(429, "exports already wait")),
                Route.get("/api/exports", Route.Access.ADMIN, ex -> ex.json(HttpResponseStatus.OK,
                        new ExportList(exports.list())))
                        .documented(ApiDoc.of("The recent dataset exports and their progress")
                                .answers(200, "the jobs", ExportList.class)),
                Route.get("/api/exports/{id}", Route.Access.ADMIN, ex -> ex.json(HttpResponseStatus.OK,
                        exports.get(ex.param("id")).orElseThrow(() -> ApiError.notFound("EXPORT_NOT_FOUND",
                                "no export job '" + ex.param("id") + "'"))))
                        .documented(ApiDoc.of("One dataset export: state, sessions done, bytes, manifest sha256")
                                .answers(200, "the job", ExportJobs.Job.class).fails(404, "no such job")));
    }

    public List<Route> routes() {
        List<Route> all = new java.util.ArrayList<>(sessionRoutes());
        all.addAll(exportRoutes());
        return all;
    }

    private List<Route> sessionRoutes() {
        String noSession = "no session with this id (`SESSION_NOT_FOUND`)";
        String badId = "the id is not a session id (letters, digits and '-')";
        return List.of(
                Route.get("/api/sessions", Route.Access.ADMIN, ex -> offThread(ex, () -> ex.json(HttpResponseStatus.OK,
                        new AdminAnswers.SessionList(archive.list().stream().filter(s -> !linked(s.id())).toList()))))
                        .documented(ApiDoc.of("List the sessions on disk, open and closed")
                                .answers(200, "the sessions", AdminAnswers.SessionList.class)),
                Route.get("/api/sessions/{id}", Route.Access.ADMIN, ex -> session(ex, id -> ex.json(
                        HttpResponseStatus.OK, archive.meta(id).<Object>map(m -> m)
                                .orElse(new AdminAnswers.SessionStub(id)))))
                        .documented(ApiDoc.of("Read one session's metadata: participants, scenes, times")
                                .answers(200, "the metadata (only the id when its metadata file is missing)",
                                        dev.improv.server.room.SessionMeta.class, AdminAnswers.SessionStub.class)
                                .fails(400, badId).fails(404, noSession)),
                Route.get("/api/sessions/{id}/log", Route.Access.ADMIN, ex -> session(ex, id -> streamLog(ex, id)))
                        .documented(ApiDoc.of("Export a session's log: its room events as JSON lines")
                                .describe("Streamed (chunked), without a torn last line; from the write-ahead log "
                                        + "while the session is not exported yet. See docs/session-log.md.")
                                .answers(200, "the room events, one per line, in seq order",
                                        new ApiDoc.RoomEventLines())
                                .fails(400, badId).fails(404, noSession)),
                Route.get("/api/sessions/{id}/dataset", Route.Access.ADMIN, ex -> session(ex,
                        id -> ex.json(HttpResponseStatus.OK, archive.dataset(id))))
                        .documented(ApiDoc.of("The training view of a session (docs/dataset.md)")
                                .answers(200, "scenes, turns, speech, prompts and clock offsets",
                                        dev.improv.server.eventlog.DatasetBuilder.Dataset.class)
                                .fails(400, badId).fails(404, noSession)));
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
        DiskWork.offThread(ex, diskReads, work);
    }
}
