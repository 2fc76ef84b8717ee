package dev.improv.server.http;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomSummary;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
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

    /** Keeps a room's own stage consent text (local takes, docs/recording.md); answers once it is durable. */
    @FunctionalInterface
    public interface RoomConsent {
        CompletionStage<Void> set(String roomId, int version, String text);
    }

    /** The display name of the in-process media recorder (pages find it by its {@code media} capability). */
    public static final String MEDIA_RECORDER_NAME = "media-recorder";

    private final Router router;
    private final JoinLinks links;
    private final RoomLimits defaultLimits;
    private final RecorderStart recorder;
    private final RoomConsent consent;

    /** @param recorder null when media recording is off */
    public RoomRoutes(Router router, JoinLinks links, RoomLimits defaultLimits, RecorderStart recorder) {
        this(router, links, defaultLimits, recorder, null);
    }

    /** @param consent where a room's own consent text goes; null: rooms may not have one */
    public RoomRoutes(Router router, JoinLinks links, RoomLimits defaultLimits, RecorderStart recorder,
                      RoomConsent consent) {
        this.router = router;
        this.links = links;
        this.defaultLimits = defaultLimits;
        this.recorder = recorder;
        this.consent = consent;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/api/rooms", Route.Access.ADMIN, ex -> ex.reply(router.rooms(),
                        all -> ex.json(HttpResponseStatus.OK, new AdminAnswers.RoomList(all))))
                        .documented(ApiDoc.of("List the open rooms")
                                .answers(200, "the open rooms, each with its roster", AdminAnswers.RoomList.class)),
                Route.post("/api/rooms", Route.Access.ADMIN, this::create)
                        .documented(ApiDoc.of("Open a room and issue its join links")
                                .describe("Every field is optional: two performer links, one moderator, one recorder "
                                        + "and one observer link by default. A role field is a count of links or a "
                                        + "list of names (null for a default name).")
                                .body(AdminBodies.CreateRoom.class)
                                .answers(201, "the room, its links, and `media` when `recordMedia` was asked",
                                        AdminAnswers.CreatedRoom.class)),
                Route.get("/api/rooms/{id}", Route.Access.ADMIN, ex -> ex.reply(router.room(ex.param("id")),
                        room -> ex.json(HttpResponseStatus.OK, room.orElseThrow(() -> noRoom(ex.param("id"))))))
                        .documented(ApiDoc.of("Read one open room").answers(200, "the room", RoomSummary.class)
                                .fails(404, "no open room with this id (`ROOM_NOT_FOUND`)")),
                Route.delete("/api/rooms/{id}", Route.Access.ADMIN, ex -> ex.reply(
                        router.closeRoom(ex.param("id"), "closed by the operator"), closed -> {
                            if (!closed) {
                                throw noRoom(ex.param("id"));
                            }
                            ex.json(HttpResponseStatus.OK, new AdminAnswers.ClosedRoom(ex.param("id")));
                        }))
                        .documented(ApiDoc.of("Close a room: members are told and disconnected, its log is closed")
                                .describe("Answered once the room's `room_closed` event is durable (forced to the "
                                        + "log, or stored by JetStream in a cluster): the session's log read after "
                                        + "the answer is complete. While the log cannot be written, the answer waits.")
                                .answers(200, "closed", AdminAnswers.ClosedRoom.class)
                                .fails(404, "no open room with this id (`ROOM_NOT_FOUND`)")
                                .fails(503, OWNER_SILENT)),
                Route.post("/api/rooms/{id}/links", Route.Access.ADMIN, this::link)
                        .documented(ApiDoc.of("Issue one more join link for an open room")
                                .body(AdminBodies.NewLink.class, "role")
                                .answers(201, "the link", JoinLinks.Link.class)
                                .fails(404, "no open room with this id (`ROOM_NOT_FOUND`)")));
    }

    /** A close asked through another cluster node than the owner, which did not answer in time. */
    static final String OWNER_SILENT = "cluster: the node that owns it did not answer in time (`OWNER_UNREACHABLE`); "
            + "the close may still happen there: read it again";

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
        if (body.consentVersion() != null && consent == null) {
            throw ApiError.invalid("consentVersion", "this server keeps no per-room consent texts");
        }
        long ttl = body.ttlSeconds();
        ex.reply(router.createRoom(body.name() == null ? "Room" : body.name(), limits).thenCompose(room ->
                body.consentVersion() == null ? java.util.concurrent.CompletableFuture.completedFuture(room)
                        : consent.set(room.id(), body.consentVersion(), body.consentText()).thenApply(v -> room)),
                room -> {
            List<JoinLinks.Link> issued = new ArrayList<>();
            for (Role role : List.of(Role.PERFORMER, Role.MODERATOR, Role.RECORDER, Role.OBSERVER)) {
                for (String name : body.linksFor(role)) {
                    issued.add(links.forRoom(room.id(), role, name, ttl));
                }
            }
            if (!body.recordMedia()) {
                ex.json(HttpResponseStatus.CREATED, new AdminAnswers.CreatedRoom(room, issued, null));
                return;
            }
            JoinLinks.Link media = links.forMediaRecorder(room.id(), MEDIA_RECORDER_NAME, ttl);
            recorder.start(media.token()).whenComplete((ok, failure) -> ex.json(HttpResponseStatus.CREATED,
                    new AdminAnswers.CreatedRoom(room, issued, failure == null ? "recording"
                            : "failed: " + rootMessage(failure))));
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
