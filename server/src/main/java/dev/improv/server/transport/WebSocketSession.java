package dev.improv.server.transport;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every WebSocket session shares, rooms and lobbies alike: binding happens when the handshake completes
 * (auto-read stays off until {@link #bound}), keep-alive pings on a timer ({@link WebSocketKeepAlive}), the idle
 * and join timeouts, the join rate per participant, refusals as an error plus a close code, clients' protocol
 * errors under their own codes (logged once, no stack trace), and quiet handling of peers that vanish. One per
 * channel; fields are touched on the channel's event loop only.
 *
 * @param <M> the decoded message type of this kind of session
 */
abstract class WebSocketSession<M> extends SimpleChannelInboundHandler<InboundMessage<M>> {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSession.class);

    protected final ServerMetrics metrics;
    protected final ClientErrorLog errors;
    protected final AddressLimits limits;
    /** Created at the handshake; the room or lobby holds it as the member's connection. */
    protected NettyMemberConnection connection;

    WebSocketSession(ServerMetrics metrics, ClientErrorLog errors, AddressLimits limits) {
        super(inboundType());
        this.metrics = metrics;
        this.errors = errors;
        this.limits = limits;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <M> Class<? extends InboundMessage<M>> inboundType() {
        return (Class) InboundMessage.class; // generic types have no class literal of their own
    }

    /** Checks the request (path, token) and starts binding; ends with {@link #bound} or {@link #refuse}. */
    protected abstract void bind(ChannelHandlerContext ctx, QueryStringDecoder request);

    /** Hands one decoded message to the owner of the session's state. */
    protected abstract void received(InboundMessage<M> message);

    /** The connection is gone (called once, and only after {@link #bound}). */
    protected abstract void unbound();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete handshake) {
            connection = new NettyMemberConnection(ctx.channel(), metrics);
            WebSocketOutputBudget output = ctx.channel().attr(WebSocketOutputBudget.KEY).get();
            if (output != null) {
                output.watch(connection, ctx.channel().eventLoop());
            }
            ctx.channel().config().setAutoRead(false); // nothing to do with messages until bound
            WebSocketKeepAlive.start(ctx);
            bind(ctx, new QueryStringDecoder(handshake.requestUri()));
        } else if (evt instanceof JoinTimeoutHandler.JoinTimeoutExpired) {
            if (connection != null) {
                connection.close(ErrorCode.JOIN_TIMEOUT, "did not join in time");
            }
        } else if (evt instanceof WebSocketInputBudget.OverBudget) {
            if (connection != null) { // counted by the budget
                connection.close(ErrorCode.INPUT_BUDGET, "the server holds too much unfinished input; send again");
            } else {
                ctx.close();
            }
        } else if (evt instanceof WebSocketKeepAlive.IdleTimeoutExpired) {
            metrics.error(ErrorCode.IDLE_TIMEOUT);
            if (connection != null) {
                connection.close(ErrorCode.IDLE_TIMEOUT, "no answer to pings for too long");
            } else {
                ctx.close();
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    private boolean isBound;

    /** Binding succeeded (call on the event loop): stop the join clock and start reading messages. */
    protected final void bound(ChannelHandlerContext ctx) {
        isBound = true;
        JoinTimeoutHandler.done(ctx.pipeline());
        if (!ctx.channel().isActive()) {
            unboundOnce();
            return;
        }
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * Takes one join from the participant's budget ({@code --reconnects-per-minute}); when it is used up, refuses
     * with TOO_MANY_CONNECTIONS (4429) before the room or lobby hears of it, so reconnect churn makes no presence
     * events. Returns false when refused.
     */
    protected final boolean joinAllowed(String scope, String participantId) {
        if (limits.tryJoin(scope + "\u0000" + participantId)) {
            return true;
        }
        refuse(ErrorCode.TOO_MANY_CONNECTIONS, "token", "reconnecting too often with this link; wait a little");
        return false;
    }

    /**
     * The claims of the link's {@code token} parameter, verified by {@code tokens}; null once the session was
     * refused (the error names {@code token} and says why).
     */
    protected final JoinClaims verifiedClaims(TokenService tokens, QueryStringDecoder request) {
        try {
            return tokens.verify(param(request, "token", null));
        } catch (TokenException e) {
            refuse(e.code(), "token", e.getMessage());
            return null;
        }
    }

    /** Refuses the session: an error naming the field, then a close with the code's close code. */
    protected final void refuse(ErrorCode code, String field, String text) {
        metrics.error(code);
        connection.send(new ServerMessage.Error(code, field, text, null));
        connection.close(code, text);
    }

    @Override
    protected final void channelRead0(ChannelHandlerContext ctx, InboundMessage<M> msg) {
        if (isBound) {
            received(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        unboundOnce();
        super.channelInactive(ctx);
    }

    private void unboundOnce() {
        if (isBound) {
            isBound = false;
            unbound();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.io.IOException || cause instanceof PrematureChannelClosureException) {
            // the peer went away (reset, a write raced our own close frame, or it left in the middle of a
            // fragmented message): nothing to tell anyone, and no stack trace (256 of them stalled the I/O thread)
            LOG.debug("connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
            return;
        }
        ErrorCode clientError = ClientErrorLog.classify(cause);
        if (clientError != null) {
            // Netty's decoders are configured not to close by themselves: the close code is ours (1002/1007/1009).
            errors.report(ctx.channel(), clientError, cause.getMessage());
            if (connection != null) {
                connection.close(clientError, clientErrorText(clientError));
            } else {
                ctx.close();
            }
            return;
        }
        if (ClientErrorLog.outOfMemory(cause)) {
            errors.outOfMemory(ctx.channel(), cause);
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

    private static String clientErrorText(ErrorCode code) {
        return switch (code) {
            case INVALID_UTF8 -> "a text frame was not valid UTF-8";
            case FRAME_TOO_LARGE -> "frame or message larger than the limit";
            default -> "WebSocket protocol error";
        };
    }

    /** The id after {@code prefix} in the request path, or null when the path does not have one. */
    static String idAfter(QueryStringDecoder request, String prefix) {
        String path = request.path();
        if (!path.startsWith(prefix) || path.length() == prefix.length() || path.indexOf('/', prefix.length()) >= 0) {
            return null;
        }
        return path.substring(prefix.length());
    }

    static String param(QueryStringDecoder request, String name, String fallback) {
        List<String> values = request.parameters().get(name);
        return values == null || values.isEmpty() ? fallback : values.get(0);
    }
}
