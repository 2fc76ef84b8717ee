package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Bounds the bytes per second the server reads from one WebSocket connection, by not reading: over its rate the
 * connection's reads are paused until the rate has paid for what was read, so TCP holds the sender back and the
 * server neither decodes, parses nor drops what it has not read. The message rate ({@link InboundRateLimiter})
 * counts messages, not bytes: 80 members relaying 60 KB signals at their message rate made the server read and
 * parse ~250 MB/s, and a room's prompts on the same loop took seconds (hostile notes, session 5). Legitimate
 * members send a few KB a second (signals, marks, prompts); the burst covers a reconnect's resend queue.
 *
 * <p>No timer runs while the connection is within its rate (19,000 idle members cost nothing here). One per
 * channel, on its event loop. Sits in front of the frame decoder, where reads are still raw bytes.
 */
final class InboundByteRate extends ChannelInboundHandlerAdapter {
    static final String NAME = "ws-read-rate";

    private final TokenBucket bytes;
    private final ServerMetrics metrics;
    private final LongSupplier nanoClock;
    private boolean paused;

    InboundByteRate(long bytesPerSecond, ServerMetrics metrics) {
        this(bytesPerSecond, metrics, System::nanoTime);
    }

    InboundByteRate(long bytesPerSecond, ServerMetrics metrics, LongSupplier nanoClock) {
        // a burst of four seconds' worth: a page that reconnects sends its queued messages at once
        this.bytes = new TokenBucket(bytesPerSecond, (int) Math.min(Integer.MAX_VALUE, 4 * bytesPerSecond),
                nanoClock.getAsLong());
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            long wait = bytes.takeOwing(buf.readableBytes(), nanoClock.getAsLong());
            if (wait > 0 && !paused) {
                pause(ctx, wait);
            }
        }
        ctx.fireChannelRead(msg); // what was read is passed on: only the next reads wait
    }

    private void pause(ChannelHandlerContext ctx, long waitNanos) {
        paused = true;
        metrics.webSocketReadsPaused();
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            paused = false;
            if (ctx.channel().isActive()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, waitNanos, TimeUnit.NANOSECONDS);
    }

    boolean paused() {
        return paused;
    }
}
