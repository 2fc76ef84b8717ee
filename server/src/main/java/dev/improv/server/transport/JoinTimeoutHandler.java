package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that neither completed an HTTP request nor joined a room within the join timeout (slow or
 * silent clients holding sockets). Removed by {@link #done} when the connection proved itself; the idle timeout
 * governs it from then on. One per channel.
 */
final class JoinTimeoutHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "join-timeout";

    private final long timeoutMs;
    private final ServerMetrics metrics;
    private ScheduledFuture<?> timer;

    JoinTimeoutHandler(long timeoutMs, ServerMetrics metrics) {
        this.timeoutMs = timeoutMs;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timer = ctx.executor().schedule(() -> {
            metrics.error(ErrorCode.JOIN_TIMEOUT);
            ctx.fireUserEventTriggered(JoinTimeoutExpired.INSTANCE);
            ctx.executor().schedule(() -> {
                ctx.close();
            }, 1, TimeUnit.SECONDS); // room for a close frame, then cut
        }, timeoutMs, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** The connection served an HTTP request or joined a room: stop the clock. Call on the event loop. */
    static void done(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) != null) {
            pipeline.remove(NAME);
        }
    }

    /** Told to later handlers so that a WebSocket session can send a proper close frame first. */
    enum JoinTimeoutExpired {
        INSTANCE
    }
}
