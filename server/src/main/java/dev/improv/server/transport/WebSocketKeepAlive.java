package dev.improv.server.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive as browsers behave, and the client's control frames. Once {@link #start started} (at the
 * handshake) the server pings every {@code pingIntervalMs}, whatever else it sends; a connection from which
 * nothing came back (no pong, no frame) for {@code idleTimeoutMs} gets {@link IdleTimeoutExpired}. A member who
 * only receives events stays connected because browsers answer pings by themselves.
 *
 * <p>A client's pings take a token from the connection's message bucket (shared with {@link InboundRateLimiter})
 * and are answered only while the channel is writable: above the rate, or for a client that does not read, the
 * ping is dropped instead of queueing a pong. Pongs are consumed here. Sits in front of Netty's WebSocket
 * protocol handler (which would answer every ping). One per channel, on its event loop.
 */
final class WebSocketKeepAlive extends ChannelDuplexHandler {
    static final String NAME = "keepalive";

    private final long pingIntervalMs;
    private final long idleTimeoutNanos;
    private final TokenBucket bucket;
    private long lastHeardNanos = System.nanoTime();
    private ScheduledFuture<?> pinger;
    private boolean expired;

    WebSocketKeepAlive(long pingIntervalMs, long idleTimeoutMs, TokenBucket bucket) {
        this.pingIntervalMs = pingIntervalMs;
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
        this.bucket = bucket;
    }

    /** Starts the ping timer; call on the event loop once the handshake is complete. */
    static void start(ChannelHandlerContext anyCtx) {
        ChannelHandlerContext ctx = anyCtx.pipeline().context(NAME);
        if (ctx != null) {
            ((WebSocketKeepAlive) ctx.handler()).startTimer(ctx);
        }
    }

    private void startTimer(ChannelHandlerContext ctx) {
        if (pinger != null) {
            return;
        }
        lastHeardNanos = System.nanoTime();
        pinger = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), pingIntervalMs, pingIntervalMs,
                TimeUnit.MILLISECONDS);
    }

    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            stop();
            return;
        }
        if (System.nanoTime() - lastHeardNanos >= idleTimeoutNanos) {
            if (!expired) {
                expired = true;
                ctx.fireUserEventTriggered(IdleTimeoutExpired.INSTANCE);
            }
            return;
        }
        if (ctx.channel().isWritable()) { // a client that does not read gets no pile of pings either
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        lastHeardNanos = System.nanoTime();
        if (msg instanceof PongWebSocketFrame) {
            ReferenceCountUtil.release(msg);
        } else if (msg instanceof PingWebSocketFrame ping) {
            if (bucket.tryTake(System.nanoTime()) && ctx.channel().isWritable()) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()), ctx.voidPromise());
            } else {
                ping.release();
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void stop() {
        if (pinger != null) {
            pinger.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    /** Told to later handlers: nothing came back for the idle timeout; the session closes with 4411. */
    enum IdleTimeoutExpired {
        INSTANCE
    }
}
