package dev.improv.server.transport;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenService;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.Role;
import dev.improv.server.routing.MessageSink;
import dev.improv.server.routing.PoolJoin;
import dev.improv.server.routing.Router;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Binds a WebSocket to a pool's lobby ({@code /ws/lobby/{pool}?token=…}) for a performer (who queues) or a
 * moderator (who is available while connected), through the {@link Router}; then hands each request to the sink.
 */
final class LobbySession extends WebSocketSession<LobbyRequest> {
    static final String PATH = "/ws/lobby/";

    private final TokenService tokens;
    private final Router router;
    private MessageSink<LobbyRequest> pool;

    LobbySession(TokenService tokens, Router router, ServerMetrics metrics, ClientErrorLog errors,
                 AddressLimits limits) {
        super(metrics, errors, limits);
        this.tokens = tokens;
        this.router = router;
    }

    @Override
    protected void bind(ChannelHandlerContext ctx, QueryStringDecoder request) {
        String poolId = idAfter(request, PATH);
        JoinClaims claims = verifiedClaims(tokens, request);
        if (claims == null) {
            return;
        }
        if (poolId == null || claims.pool() == null || !claims.pool().equals(poolId)) {
            refuse(ErrorCode.TOKEN_WRONG_ROOM, "token", "this link is for another pool or a room");
            return;
        }
        if (claims.role() != Role.PERFORMER && claims.role() != Role.MODERATOR) {
            refuse(ErrorCode.NOT_AUTHORIZED, "token", "lobbies are for performers and moderators");
            return;
        }
        if (!joinAllowed("pool:" + poolId, claims.pid())) {
            return;
        }
        router.joinPool(new PoolJoin(poolId, claims.pid(), claims.name(), claims.role()), connection)
                .whenComplete((joined, failure) -> ctx.executor().execute(() -> {
                    if (failure == null && joined.refusal() == ErrorCode.SERVER_SHUTDOWN) { // cluster: moving
                        refuse(ErrorCode.SERVER_SHUTDOWN, "path", "the lobby's server is gone and another one is "
                                + "taking it over; reconnect");
                    } else if (failure != null || joined.refusal() != null) {
                        refuse(ErrorCode.POOL_NOT_FOUND, "path", "this open call does not exist or has ended");
                    } else {
                        pool = joined.sink();
                        bound(ctx);
                    }
                }));
    }

    @Override
    protected void received(InboundMessage<LobbyRequest> msg) {
        pool.deliver(msg.message(), msg.receivedAt());
    }

    @Override
    protected void unbound() {
        pool.connectionLost();
    }
}
