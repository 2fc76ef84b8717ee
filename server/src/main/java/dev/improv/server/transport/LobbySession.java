package dev.improv.server.transport;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.Role;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Binds a WebSocket to a pool's lobby ({@code /ws/lobby/{pool}?token=…}) for a performer (who queues) or a
 * moderator (who is available while connected); then hands each request to the lobby hub's thread.
 */
final class LobbySession extends WebSocketSession<LobbyRequest> {
    static final String PATH = "/ws/lobby/";

    private final TokenService tokens;
    private final LobbyRegistry lobbies;
    private LobbyHub hub;
    private String participantId;

    LobbySession(TokenService tokens, LobbyRegistry lobbies, ServerMetrics metrics, ClientErrorLog errors,
                AddressLimits limits) {
        super(metrics, errors, limits);
        this.tokens = tokens;
        this.lobbies = lobbies;
    }

    @Override
    protected void bind(ChannelHandlerContext ctx, QueryStringDecoder request) {
        String pool = idAfter(request, PATH);
        JoinClaims claims;
        try {
            claims = tokens.verify(param(request, "token", null));
        } catch (TokenException e) {
            refuse(e.code(), "token", e.getMessage());
            return;
        }
        if (pool == null || claims.pool() == null || !claims.pool().equals(pool)) {
            refuse(ErrorCode.TOKEN_WRONG_ROOM, "token", "this link is for another pool or a room");
            return;
        }
        if (claims.role() != Role.PERFORMER && claims.role() != Role.MODERATOR) {
            refuse(ErrorCode.NOT_AUTHORIZED, "token", "lobbies are for performers and moderators");
            return;
        }
        LobbyHub target = lobbies.get(pool);
        if (target == null) {
            refuse(ErrorCode.POOL_NOT_FOUND, "path", "this open call does not exist or has ended");
            return;
        }
        if (!joinAllowed("pool:" + pool, claims.pid())) {
            return;
        }
        hub = target;
        participantId = claims.pid();
        NettyMemberConnection conn = connection;
        target.execute(() -> target.connect(claims.pid(), claims.name(), claims.role(), conn));
        bound(ctx);
    }

    @Override
    protected void received(InboundMessage<LobbyRequest> msg) {
        LobbyHub h = hub;
        String pid = participantId;
        NettyMemberConnection conn = connection;
        h.execute(() -> h.handle(pid, conn, msg.message()));
    }

    @Override
    protected void unbound() {
        LobbyHub h = hub;
        String pid = participantId;
        NettyMemberConnection conn = connection;
        h.execute(() -> h.connectionLost(pid, conn));
    }
}
