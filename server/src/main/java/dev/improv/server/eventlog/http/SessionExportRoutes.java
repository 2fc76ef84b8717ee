package dev.improv.server.eventlog.http;

import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.http.HttpApiHandler;
import dev.improv.server.http.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin-only export of session logs:
 * <ul>
 *   <li>{@code GET /api/sessions}: every session on disk, from its {@code meta.json}</li>
 *   <li>{@code GET /api/sessions/{id}}: the session's metadata</li>
 *   <li>{@code GET /api/sessions/{id}/log}: the log as JSONL ({@code application/x-ndjson}), without a torn tail</li>
 *   <li>{@code GET /api/sessions/{id}/dataset}: the training view (see {@code docs/dataset.md})</li>
 * </ul>
 * The id must match {@link SessionFiles#ID} before it reaches the file system. Checks run on the I/O thread;
 * file reading runs on {@code diskReads}. Stateless apart from its collaborators, so one instance serves all.
 */
public final class SessionExportRoutes implements HttpApiHandler.ApiExtension {
    static final String PREFIX = "/api/sessions";
    static final String NDJSON = "application/x-ndjson; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(SessionExportRoutes.class);

    private final SessionArchive archive;
    private final Executor diskReads;

    public SessionExportRoutes(SessionArchive archive, Executor diskReads) {
        this.archive = archive;
        this.diskReads = diskReads;
    }

    @Override
    public boolean handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, boolean admin) {
        String path = uri.path();
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            return false;
        }
        if (!admin) {
            HttpApiHandler.unauthorized(ctx, request);
            return true;
        }
        if (!request.method().equals(HttpMethod.GET)) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                    "session exports are read with GET");
            return true;
        }
        String rest = path.substring(PREFIX.length());
        String[] parts = rest.isEmpty() || rest.equals("/") ? new String[0] : rest.substring(1).split("/", -1);
        if (parts.length == 0) {
            offThread(ctx, request, answer -> answer.json(Map.of("sessions", archive.list())));
            return true;
        }
        String id = parts[0];
        if (!SessionFiles.validId(id)) {
            HttpResponses.sendFieldError(ctx, request, "id", "a session id is letters, digits and '-' only");
            return true;
        }
        String view = parts.length == 1 ? "" : parts.length == 2 ? parts[1] : null;
        if (view == null || !(view.isEmpty() || view.equals("log") || view.equals("dataset"))) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found", "no such API");
            return true;
        }
        offThread(ctx, request, answer -> {
            if (!archive.exists(id)) {
                answer.error(HttpResponseStatus.NOT_FOUND, "session_not_found", "no session '" + id + "'");
            } else if (view.isEmpty()) {
                answer.json(archive.meta(id).<Object>map(m -> m).orElse(Map.of("sessionId", id)));
            } else if (view.equals("log")) {
                answer.bytes(NDJSON, archive.logBytes(id));
            } else {
                answer.json(archive.dataset(id));
            }
        });
        return true;
    }

    /** Runs {@code work} on the disk executor; its answer goes back through Netty from that thread. */
    private void offThread(ChannelHandlerContext ctx, FullHttpRequest request, Work work) {
        // The full request is released when this handler returns: keep only what the response needs.
        HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
        Answer answer = new Answer(ctx, head);
        try {
            diskReads.execute(() -> {
                try {
                    work.run(answer);
                } catch (Exception e) {
                    LOG.error("session export {} failed", head.uri(), e);
                    answer.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal",
                            "the session could not be read");
                }
            });
        } catch (RejectedExecutionException e) {
            answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting_down", "the server is shutting down");
        }
    }

    @FunctionalInterface
    private interface Work {
        void run(Answer answer) throws Exception;
    }

    private record Answer(ChannelHandlerContext ctx, HttpRequest request) {
        void json(Object body) {
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, body);
        }

        void bytes(String contentType, byte[] body) {
            HttpResponses.send(ctx, request, HttpResponseStatus.OK, contentType, body);
        }

        void error(HttpResponseStatus status, String code, String message) {
            HttpResponses.sendError(ctx, request, status, code, message);
        }
    }
}
