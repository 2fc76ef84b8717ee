package dev.improv.server.http;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomSummary;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The admin API of rooms: create (with join links, optionally with a media recorder), list, read, close, and one
 * more link. Rooms are reached through the {@link Router} only.
 */
public final class RoomRoutes {
    /** Starts the server-side media recorder of a room with a recorder token; absent when recording is off. */
    @FunctionalInterface
    public interface RecorderStart {
        CompletionStage<Void> start(String recorderToken);
    }

    /** The display name of the in-process media recorder (pages find it by its {@code media} capability). */
    public static final String MEDIA_RECORDER_NAME = "media-recorder";

    private final Router router;
    private final JoinLinks links;
    private final RoomLimits defaultLimits;
    private final RecorderStart recorder;

    /** @param recorder null when media recording is off */
    public RoomRoutes(Router router, JoinLinks links, RoomLimits defaultLimits, RecorderStart recorder) {
        this.router = router;
        this.links = links;
        this.defaultLimits = defaultLimits;
        this.recorder = recorder;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/api/rooms", Route.Access.ADMIN, ex -> ex.reply(router.rooms(),
                        all -> ex.json(HttpResponseStatus.OK, Map.of("rooms", all)))),
                Route.post("/api/rooms", Route.Access.ADMIN, this::create),
                Route.get("/api/rooms/{id}", Route.Access.ADMIN, ex -> ex.reply(router.room(ex.param("id")),
                        room -> ex.json(HttpResponseStatus.OK, room.orElseThrow(() -> noRoom(ex.param("id")))))),
                Route.delete("/api/rooms/{id}", Route.Access.ADMIN, ex -> ex.reply(
                        router.closeRoom(ex.param("id"), "closed by the operator"), closed -> {
                            if (!closed) {
                                throw noRoom(ex.param("id"));
                            }
                            ex.json(HttpResponseStatus.OK, Map.of("closed", ex.param("id")));
                        })),
                Route.post("/api/rooms/{id}/links", Route.Access.ADMIN, this::link));
    }

    private static ApiError.Failure noRoom(String id) {
        return new ApiError.Failure(HttpResponseStatus.NOT_FOUND,
                ApiError.of(ErrorCode.ROOM_NOT_FOUND, "id", "no open room '" + clip(id) + "'"));
    }

    private void create(HttpExchange ex) {
        AdminBodies.CreateRoom body = ex.body(AdminBodies.CreateRoom.class);
        RoomLimits limits = defaultLimits;
        if (body.maxPerformers() != null) {
            if (body.maxPerformers() > limits.maxMembers()) {
                throw ApiError.invalid("maxPerformers", "'maxPerformers' must be 1.." + limits.maxMembers());
            }
            limits = limits.withMaxFor(Role.PERFORMER, body.maxPerformers());
        }
        if (body.recordMedia() && recorder == null) {
            throw ApiError.invalid("recordMedia", "media recording is off on this server (--media-recorder)");
        }
        long ttl = body.ttlSeconds();
        ex.reply(router.createRoom(body.name() == null ? "Room" : body.name(), limits), room -> {
            List<JoinLinks.Link> issued = new ArrayList<>();
            for (Role role : List.of(Role.PERFORMER, Role.MODERATOR, Role.RECORDER, Role.OBSERVER)) {
                for (String name : body.linksFor(role)) {
                    issued.add(links.forRoom(room.id(), role, name, ttl));
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("room", room);
            out.put("links", issued);
            if (!body.recordMedia()) {
                ex.json(HttpResponseStatus.CREATED, out);
                return;
            }
            JoinLinks.Link media = links.forMediaRecorder(room.id(), MEDIA_RECORDER_NAME, ttl);
            recorder.start(media.token()).whenComplete((ok, failure) -> {
                out.put("media", failure == null ? "recording" : "failed: " + rootMessage(failure));
                ex.json(HttpResponseStatus.CREATED, out);
            });
        });
    }

    private void link(HttpExchange ex) {
        AdminBodies.NewLink body = ex.body(AdminBodies.NewLink.class);
        Role role = body.roleIn(List.of(Role.values()));
        ex.reply(router.room(ex.param("id")), room -> {
            RoomSummary open = room.orElseThrow(() -> noRoom(ex.param("id")));
            ex.json(HttpResponseStatus.CREATED, body.media()
                    ? links.forMediaRecorder(open.id(), body.name(), body.ttlSeconds())
                    : links.forRoom(open.id(), role, body.name(), body.ttlSeconds()));
        });
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    static String clip(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}
