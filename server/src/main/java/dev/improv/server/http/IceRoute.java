package dev.improv.server.http;

import dev.improv.server.auth.IceServers;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenService;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.routing.Router;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * {@code GET /api/ice?token=…}: STUN/TURN servers with fresh TURN credentials, only for a current member of a live
 * room — a valid token alone is not enough, so a kicked member or a member of a closed room gets none.
 */
public final class IceRoute {
    private final TokenService tokens;
    private final IceServers ice;
    private final Router router;

    public IceRoute(TokenService tokens, IceServers ice, Router router) {
        this.tokens = tokens;
        this.ice = ice;
        this.router = router;
    }

    public List<Route> routes() {
        return List.of(Route.get("/api/ice", Route.Access.PUBLIC, this::iceServers));
    }

    private void iceServers(HttpExchange ex) {
        JoinClaims claims = ex.joinToken(tokens, dev.improv.server.auth.Scope.ICE);
        if (claims.room() == null) {
            ex.error(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                    "ICE servers are for members of a room"));
            return;
        }
        ex.reply(router.isMember(claims.room(), claims.pid()), member -> {
            if (member) {
                ex.json(HttpResponseStatus.OK, ice.forParticipant(claims.pid()));
            } else {
                ex.error(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                        "only a current member of an open room gets ICE servers: join the room first"));
            }
        });
    }
}
