package dev.improv.server.transport;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenService;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.routing.MessageSink;
import dev.improv.server.routing.RoomJoin;
import dev.improv.server.routing.Router;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a WebSocket to a room participant ({@code /ws/rooms/{roomId}?token=…[&lastSeq=N]}): token checked, room
 * joined through the {@link Router}; then hands each decoded message to the sink the router gave.
 */
final class RoomSession extends WebSocketSession<ClientMessage> {
    private static final Logger LOG = LoggerFactory.getLogger(RoomSession.class);
    static final String PATH = "/ws/rooms/";
    /** Largest lastSeq accepted (2^53 - 1, what a page's JavaScript number holds exactly). */
    static final long MAX_LAST_SEQ = (1L << 53) - 1;

    private final TokenService tokens;
    private final Router router;
    private MessageSink<ClientMessage> room;

    RoomSession(TokenService tokens, Router router, ServerMetrics metrics, ClientErrorLog errors,
                AddressLimits limits) {
        super(metrics, errors, limits);
        this.tokens = tokens;
        this.router = router;
    }

    @Override
    protected void bind(ChannelHandlerContext ctx, QueryStringDecoder request) {
        String roomId = idAfter(request, PATH);
        if (roomId == null) {
            refuse(ErrorCode.ROOM_NOT_FOUND, "path", "connect to /ws/rooms/{roomId}?token=...");
            return;
        }
        long lastSeq;
        try {
            lastSeq = Long.parseLong(param(request, "lastSeq", "-1"));
        } catch (NumberFormatException e) {
            refuse(ErrorCode.INVALID_FIELD, "lastSeq", "'lastSeq' must be a whole number");
            return;
        }
        if (lastSeq < -1 || lastSeq > MAX_LAST_SEQ) { // -1: none; the cap keeps lastSeq + 1 from overflowing
            refuse(ErrorCode.INVALID_FIELD, "lastSeq", "'lastSeq' must be a whole number from 0 to " + MAX_LAST_SEQ);
            return;
        }
        JoinClaims claims = verifiedClaims(tokens, request);
        if (claims == null) {
            return;
        }
        if (claims.room() == null || !claims.room().equals(roomId)) {
            refuse(ErrorCode.TOKEN_WRONG_ROOM, "token", "this link is for another room");
            return;
        }
        if (!joinAllowed("room:" + roomId, claims.pid())) {
            return;
        }
        NettyMemberConnection conn = connection;
        router.joinRoom(new RoomJoin(roomId, claims.pid(), claims.name(), claims.role(), lastSeq,
                claims.capabilities()), conn)
                .whenComplete((joined, failure) -> ctx.executor().execute(() -> {
                    if (failure != null) {
                        LOG.warn("room {}: join of {} failed", roomId, claims.pid(), failure);
                        refuse(ErrorCode.INTERNAL, null, "the room could not be joined");
                    } else if (joined.refusal() != null) {
                        refuse(joined.refusal(), refusalField(joined.refusal()), refusalText(joined.refusal()));
                    } else {
                        room = joined.sink();
                        LOG.debug("room {}: {} joined as {} from {}", roomId, claims.pid(), claims.role().wireName(),
                                conn.remoteAddress());
                        bound(ctx);
                    }
                }));
    }

    /** The request's part a room's refusal is about: the path (no such room), {@code lastSeq}, or none. */
    static String refusalField(ErrorCode code) {
        return switch (code) {
            case ROOM_NOT_FOUND -> "path";
            case INVALID_FIELD -> "lastSeq"; // the one request field a room checks itself
            default -> null;
        };
    }

    static String refusalText(ErrorCode code) {
        return switch (code) {
            case INVALID_FIELD -> "'lastSeq' is beyond this room's last event; give the seq of the last event you "
                    + "received, or leave lastSeq out";
            case ROOM_NOT_FOUND -> "this room does not exist or has ended";
            case ROOM_FULL -> "the room is full";
            case ROLE_FULL -> "the room has no free place for your role";
            case ROOM_LOCKED -> "the room is locked; ask the moderator to unlock it";
            case KICKED -> "you were removed from this room by a moderator";
            case ROOM_CLOSED -> "this room has ended";
            case SERVER_SHUTDOWN -> "the room's server is gone and another one is taking it over; reconnect to resume";
            default -> code.name().toLowerCase();
        };
    }

    @Override
    protected void received(InboundMessage<ClientMessage> msg) {
        room.deliver(msg.message(), msg.receivedAt());
    }

    @Override
    protected void unbound() {
        room.connectionLost();
    }
}
