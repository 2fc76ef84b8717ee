package dev.improv.server.http;

import dev.improv.server.auth.JoinLinks;
import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.MatchRules;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * The admin API of open calls ("pools"): open a pool with its consent text, issue lobby links, watch it, and read
 * performers' time accounting. Pools are reached through the {@link Router}; answers that need the pool's own
 * thread come from there.
 */
public final class PoolRoutes {
    private final Router router;
    private final JoinLinks links;

    private final boolean mediaRecorder;

    /** {@code mediaRecorder}: whether this server records media ({@code --media-recorder}), for {@code recordMedia}. */
    public PoolRoutes(Router router, JoinLinks links, boolean mediaRecorder) {
        this.router = router;
        this.links = links;
        this.mediaRecorder = mediaRecorder;
    }

    public List<Route> routes() {
        String noPool = "no open pool with this id (`POOL_NOT_FOUND`)";
        return List.of(
                Route.post("/api/pools", Route.Access.ADMIN, this::open)
                        .documented(ApiDoc.of("Open a lobby pool (an open call) with its consent text")
                                .body(AdminBodies.OpenPool.class, "id", "consentVersion", "consentText")
                                .answers(201, "the pool and its moderator's lobby link", AdminAnswers.OpenedPool.class)
                                .fails(409, "a pool with this id is already open (`POOL_EXISTS`)")),
                Route.get("/api/pools", Route.Access.ADMIN, ex -> ex.reply(router.pools(),
                        all -> ex.json(HttpResponseStatus.OK, new AdminAnswers.PoolList(all))))
                        .documented(ApiDoc.of("List the open pools").answers(200, "the pools",
                                AdminAnswers.PoolList.class)),
                Route.get("/api/pools/{id}", Route.Access.ADMIN, ex -> ex.reply(router.pool(ex.param("id")),
                        pool -> ex.json(HttpResponseStatus.OK, pool.orElseThrow(() -> noPool(ex.param("id"))))))
                        .documented(ApiDoc.of("Read one pool: waiting performers, offers, its rooms")
                                .answers(200, "the pool", LobbyHub.Summary.class).fails(404, noPool)),
                Route.delete("/api/pools/{id}", Route.Access.ADMIN, this::close)
                        .documented(ApiDoc.of("Close a pool: its queue and open offers end, everyone connected is told "
                                        + "and disconnected, its time accounting is closed and returned")
                                .describe("Every waiting performer leaves (lobby time closed), every open offer ends "
                                        + "(`offer_ended` with cause `pool_closed`, offer time closed), moderators "
                                        + "go; everyone connected gets `lobby_left` and close code 4415. The answer "
                                        + "is the pool's final pay statement: after a close the pool is not rebuilt "
                                        + "on a restart and its log records are deleted with their segments.")
                                .answers(200, "the pool's final time accounting", AdminAnswers.ClosedPool.class)
                                .fails(404, noPool)
                                .fails(409, "rooms made by this pool are still open (`POOL_BUSY`): close them first")
                                .fails(503, RoomRoutes.OWNER_SILENT)),
                Route.post("/api/pools/{id}/links", Route.Access.ADMIN, this::link)
                        .documented(ApiDoc.of("Issue a lobby link (performer or moderator)")
                                .body(AdminBodies.NewLink.class, "role")
                                .answers(201, "the link", JoinLinks.Link.class).fails(404, noPool)),
                Route.get("/api/pools/{id}/time", Route.Access.ADMIN, ex -> ex.reply(router.poolTimes(ex.param("id")),
                        times -> ex.json(HttpResponseStatus.OK, new AdminAnswers.PoolTimes(ex.param("id"),
                                times.orElseThrow(() -> noPool(ex.param("id")))))))
                        .documented(ApiDoc.of("Time accounting of every performer of the pool (what they are paid for)")
                                .answers(200, "per performer: lobby, offer and scene time", AdminAnswers.PoolTimes.class)
                                .fails(404, noPool)),
                Route.get("/api/pools/{id}/performers/{pid}/time", Route.Access.ADMIN, ex -> ex.reply(
                        router.performerTime(ex.param("id"), ex.param("pid")),
                        time -> ex.json(HttpResponseStatus.OK, time.orElseThrow(() -> noPool(ex.param("id"))))))
                        .documented(ApiDoc.of("Time accounting of one performer of the pool")
                                .answers(200, "lobby, offer and scene time", TimeAccounting.PerformerTime.class)
                                .fails(404, noPool + ", or no such performer in it")));
    }

    private static ApiError.Failure noPool(String id) {
        return new ApiError.Failure(HttpResponseStatus.NOT_FOUND,
                ApiError.of(ErrorCode.POOL_NOT_FOUND, "id", "no open pool '" + RoomRoutes.clip(id) + "'"));
    }

    private void open(HttpExchange ex) {
        AdminBodies.OpenPool body = ex.body(AdminBodies.OpenPool.class);
        if (body.recordMedia() && !mediaRecorder) {
            throw ApiError.invalid("recordMedia", "media recording is off on this server (--media-recorder)");
        }
        MatchRules rules = MatchRules.defaults().withRoomSize(body.roomSize())
                .withRecentSessions(body.recentSessions())
                .withRelaxation(body.relaxTagsAfterMs(), body.relaxRepeatAfterMs(), MatchRules.NEVER);
        LobbyConfig config = LobbyConfig.of(body.id(), body.consentVersion(), body.consentText()).withRules(rules)
                .withOfferTimeoutMs(body.offerTimeoutMs())
                .withRequireModerator(body.requireModerator())
                .withRecordMedia(body.recordMedia());
        ex.reply(router.openPool(config, body.moderatorCapacity()), opened -> {
            LobbyHub.Summary pool = opened.orElseThrow(() -> new ApiError.Failure(HttpResponseStatus.CONFLICT,
                    new ApiError(ApiError.POOL_EXISTS, "id", "a pool '" + body.id() + "' is already open")));
            ex.json(HttpResponseStatus.CREATED, new AdminAnswers.OpenedPool(pool,
                    List.of(links.forPool(body.id(), Role.MODERATOR, null, 0))));
        });
    }

    private void close(HttpExchange ex) {
        String id = ex.param("id");
        ex.reply(router.closePool(id), outcome -> {
            LobbyHub.Closed closed = outcome.orElseThrow(() -> noPool(id));
            if (closed.refused()) {
                throw new ApiError.Failure(HttpResponseStatus.CONFLICT, new ApiError(ApiError.POOL_BUSY, "id",
                        "pool '" + RoomRoutes.clip(id) + "' still has " + closed.openRooms().size() + " open room(s) "
                                + RoomRoutes.clip(String.join(", ", closed.openRooms()))
                                + "; close them first (DELETE /api/rooms/{id}): their scene time is the pool's"));
            }
            ex.json(HttpResponseStatus.OK, new AdminAnswers.ClosedPool(closed.pool(), closed.closedAt(),
                    closed.connectionsTold(), closed.offersEnded(), closed.performers(), closed.days()));
        });
    }

    private void link(HttpExchange ex) {
        AdminBodies.NewLink body = ex.body(AdminBodies.NewLink.class);
        Role role = body.roleIn(List.of(Role.PERFORMER, Role.MODERATOR));
        ex.reply(router.pool(ex.param("id")), pool -> {
            LobbyHub.Summary open = pool.orElseThrow(() -> noPool(ex.param("id")));
            ex.json(HttpResponseStatus.CREATED, links.forPool(open.pool(), role, body.name(), body.ttlSeconds()));
        });
    }
}
