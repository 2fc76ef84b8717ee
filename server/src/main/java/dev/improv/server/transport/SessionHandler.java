package dev.improv.server.transport;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a WebSocket to a room participant once the handshake completes (token checked, room joined), then
 * hands each decoded message to the room's owner thread. Also sends the keep-alive ping and closes idle sockets.
 * One per channel; all fields are touched on the channel's event loop only.
 */
final class SessionHandler extends SimpleChannelInboundHandler<InboundMessage<ClientMessage>> {
    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);
    static final String ROOM_PATH = "/ws/rooms/";

    private final TokenService tokens;
    private final RoomRegistry rooms;
    private final ServerMetrics metrics;
    private Room room;
    private String participantId;
    private NettyMemberConnection connection;

    SessionHandler(TokenService tokens, RoomRegistry rooms, ServerMetrics metrics) {
        this.tokens = tokens;
        this.rooms = rooms;
        this.metrics = metrics;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete handshake) {
            connection = new NettyMemberConnection(ctx.channel(), metrics);
            ctx.channel().config().setAutoRead(false); // nothing to do with messages until joined
            authenticateAndJoin(ctx, handshake.requestUri());
        } else if (evt instanceof JoinTimeoutHandler.JoinTimeoutExpired) {
            if (connection != null) {
                connection.close(ErrorCode.JOIN_TIMEOUT, "did not join in time");
            }
        } else if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                metrics.error(ErrorCode.IDLE_TIMEOUT);
                if (connection != null) {
                    connection.close(ErrorCode.IDLE_TIMEOUT, "no traffic for too long");
                } else {
                    ctx.close();
                }
            } else if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(new PingWebSocketFrame());
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    private void authenticateAndJoin(ChannelHandlerContext ctx, String uri) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        String path = query.path();
        if (!path.startsWith(ROOM_PATH) || path.length() == ROOM_PATH.length()) {
            refuse(ErrorCode.ROOM_NOT_FOUND, "path", "connect to /ws/rooms/{roomId}?token=...");
            return;
        }
        String roomId = path.substring(ROOM_PATH.length());
        long lastSeq;
        try {
            lastSeq = Long.parseLong(first(query, "lastSeq", "-1"));
        } catch (NumberFormatException e) {
            refuse(ErrorCode.INVALID_FIELD, "lastSeq", "'lastSeq' must be a whole number");
            return;
        }
        JoinClaims claims;
        try {
            claims = tokens.verify(first(query, "token", null));
        } catch (TokenException e) {
            refuse(e.code(), "token", e.getMessage());
            return;
        }
        if (claims.room() == null || !claims.room().equals(roomId)) {
            refuse(ErrorCode.TOKEN_WRONG_ROOM, "token", "this link is for another room");
            return;
        }
        Room target = rooms.get(roomId);
        if (target == null) {
            refuse(ErrorCode.ROOM_NOT_FOUND, "path", "this room does not exist or has ended");
            return;
        }
        NettyMemberConnection conn = connection;
        long resumeFrom = lastSeq;
        target.execute(() -> {
            ErrorCode refusal = target.join(claims.pid(), claims.name(), claims.role(), resumeFrom, conn);
            ctx.executor().execute(() -> joined(ctx, target, claims, refusal));
        });
    }

    private void joined(ChannelHandlerContext ctx, Room target, JoinClaims claims, ErrorCode refusal) {
        if (refusal != null) {
            refuse(refusal, null, refusalText(refusal));
            return;
        }
        room = target;
        participantId = claims.pid();
        JoinTimeoutHandler.done(ctx.pipeline());
        if (!ctx.channel().isActive()) {
            lost();
            return;
        }
        ctx.channel().config().setAutoRead(true);
        LOG.debug("room {}: {} joined as {} from {}", room.id(), participantId, claims.role().wireName(),
                connection.remoteAddress());
    }

    private void refuse(ErrorCode code, String field, String text) {
        metrics.error(code);
        connection.send(new ServerMessage.Error(code, field, text, null));
        connection.close(code, text);
    }

    static String refusalText(ErrorCode code) {
        return switch (code) {
            case ROOM_FULL -> "the room is full";
            case ROLE_FULL -> "the room has no free place for your role";
            case ROOM_LOCKED -> "the room is locked; ask the moderator to unlock it";
            case KICKED -> "you were removed from this room by a moderator";
            case ROOM_CLOSED -> "this room has ended";
            default -> code.name().toLowerCase();
        };
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, InboundMessage<ClientMessage> msg) {
        Room r = room;
        if (r == null) {
            return; // auto-read is off until joined; a frame already in flight is dropped
        }
        String pid = participantId;
        NettyMemberConnection conn = connection;
        r.execute(() -> r.handle(pid, conn, msg.message(), msg.receivedAt()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        lost();
        super.channelInactive(ctx);
    }

    private void lost() {
        Room r = room;
        if (r != null) {
            String pid = participantId;
            NettyMemberConnection conn = connection;
            r.execute(() -> r.connectionLost(pid, conn));
            room = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.io.IOException) {
            // the peer went away (reset, or a write raced our own close frame): nothing to tell anyone
            LOG.debug("connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
            return;
        }
        LOG.warn("closing connection {} after an unexpected error", ctx.channel().remoteAddress(), cause);
        metrics.error(ErrorCode.INTERNAL);
        if (connection != null) {
            connection.close(ErrorCode.INTERNAL, "internal error");
        } else {
            ctx.close();
        }
    }

    private static String first(QueryStringDecoder query, String name, String fallback) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? fallback : values.get(0);
    }
}
