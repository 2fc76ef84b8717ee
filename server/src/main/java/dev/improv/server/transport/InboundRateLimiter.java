package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.function.LongSupplier;

/**
 * Drops client data frames above the connection's rate (token bucket) before they cost a JSON parse, and says
 * so with a RATE_LIMITED error at most once per second. The connection stays open. One per channel; time comes
 * from a nanosecond clock (System::nanoTime in the server, a hand-moved one in tests).
 */
final class InboundRateLimiter extends ChannelInboundHandlerAdapter {
    private static final long ERROR_INTERVAL_NANOS = 1_000_000_000L;

    private final TokenBucket bucket;
    private final ServerMetrics metrics;
    private final int perSecond;
    private final LongSupplier nanoClock;
    private long lastErrorAt;

    InboundRateLimiter(int perSecond, int burst, ServerMetrics metrics) {
        this(perSecond, burst, metrics, System::nanoTime);
    }

    InboundRateLimiter(int perSecond, int burst, ServerMetrics metrics, LongSupplier nanoClock) {
        this(new TokenBucket(perSecond, burst, nanoClock.getAsLong()), perSecond, metrics, nanoClock);
    }

    /** With a bucket shared with the connection's other frames (pings, see {@link WebSocketKeepAlive}). */
    InboundRateLimiter(TokenBucket bucket, int perSecond, ServerMetrics metrics) {
        this(bucket, perSecond, metrics, System::nanoTime);
    }

    InboundRateLimiter(TokenBucket bucket, int perSecond, ServerMetrics metrics, LongSupplier nanoClock) {
        long now = nanoClock.getAsLong();
        this.bucket = bucket;
        this.metrics = metrics;
        this.perSecond = perSecond;
        this.nanoClock = nanoClock;
        this.lastErrorAt = now - ERROR_INTERVAL_NANOS;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        long now = nanoClock.getAsLong();
        if (bucket.tryTake(now)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ReferenceCountUtil.release(msg);
        metrics.error(ErrorCode.RATE_LIMITED);
        if (now - lastErrorAt >= ERROR_INTERVAL_NANOS) {
            lastErrorAt = now;
            ctx.writeAndFlush(new ServerMessage.Error(ErrorCode.RATE_LIMITED, null,
                    "more than " + perSecond + " messages per second: messages are being dropped", null));
        }
    }
}
