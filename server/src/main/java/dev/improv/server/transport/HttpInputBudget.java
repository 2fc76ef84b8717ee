package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps unfinished HTTP requests out of direct memory and bounds them, over all connections of a listener. Every
 * connection's decoder keeps what it read of a request until the request is complete (a 64 KiB body, headers), as
 * slices of the socket's pooled direct read buffers; a slice pins its whole read buffer and the allocator's chunk
 * around it. Thousands of connections that each send most of a body and then wait (each within its limits, from
 * many addresses) pinned all of the JVM's direct memory with an eighth of it in request bytes: then every read on
 * that I/O thread waited in {@code Bits.reserveMemory} (a full GC and half a second of sleeps each, reproduced with
 * 32 MiB and 1,600 such connections) and the rooms on it got nothing for minutes, also after the offender left.
 *
 * <p>So every read of a connection that is still HTTP is copied at once into a heap buffer of its exact size and
 * the direct read buffer is given back: HTTP input never holds direct memory (a copy of a few KiB per request; the
 * WebSocket traffic of rooms is untouched, this handler is removed at the upgrade). What the copies hold is
 * bounded: a connection's held bytes are what it read since its last answer was written; while the listener's
 * total is over the budget, a connection that holds more than a request head ({@link #SMALL_BYTES}) and reads more
 * is closed, and so is any connection once the total is twice the budget; small requests (health checks, the admin
 * API, WebSocket upgrades) still pass. The first time the budget is hit the log says so (WARN), and once the total
 * is back under half of it (the offenders gone), it says that too.
 *
 * <p>First in the pipeline. One per channel (its own count on its event loop); the total is shared by the
 * listener's connections.
 */
final class HttpInputBudget extends ChannelDuplexHandler {
    static final String NAME = "input-budget";
    /** What a request head may hold without counting as a large unfinished request. */
    static final int SMALL_BYTES = 16 * 1024;
    /** The default budget: an eighth of the heap, at most this. */
    static final long MAX_AUTO_BYTES = 64L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(HttpInputBudget.class);

    /** The budget of one listener and its total; thread-safe, shared by that listener's connections. */
    static final class Shared {
        private final long budget;
        private final AtomicLong total = new AtomicLong();
        private final AtomicBoolean over = new AtomicBoolean();
        private final ServerMetrics metrics;

        Shared(long configured, ServerMetrics metrics) {
            this.budget = configured < 0 ? autoBudget() : configured;
            this.metrics = metrics;
        }

        static long autoBudget() {
            return Math.max(1L << 20, Math.min(MAX_AUTO_BYTES, Runtime.getRuntime().maxMemory() / 8));
        }

        long budget() {
            return budget;
        }

        long total() {
            return total.get();
        }

        boolean enabled() {
            return budget > 0;
        }
    }

    private final Shared shared;
    /** Bytes this connection read since its last answer was written; its event loop only. */
    private long held;

    HttpInputBudget(Shared shared) {
        this.shared = shared;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || !shared.enabled()) {
            ctx.fireChannelRead(msg);
            return;
        }
        int n = buf.readableBytes();
        long total = shared.total.addAndGet(n);
        held += n;
        if (total > shared.budget && (held > SMALL_BYTES || total > 2 * shared.budget)) {
            ReferenceCountUtil.release(buf);
            refuse(ctx, total);
            return;
        }
        ByteBuf copy = Unpooled.buffer(n, n).writeBytes(buf); // exact size, on the heap
        buf.release(); // the direct read buffer goes back to the pool now
        ctx.fireChannelRead(copy);
    }

    private void refuse(ChannelHandlerContext ctx, long total) {
        shared.metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
        if (shared.over.compareAndSet(false, true)) {
            LOG.warn("unfinished HTTP requests hold {} KiB, over the budget of {} KiB (--http-input-budget-bytes); "
                    + "closing the connections that hold large unfinished requests (latest {})", total >> 10,
                    shared.budget >> 10, ctx.channel().remoteAddress());
        }
        ctx.channel().config().setAutoRead(false);
        ctx.close();
        giveBack();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            giveBack(); // the request was decoded and answered: what it held is released
        }
        ctx.write(msg, promise);
    }

    /**
     * An answer was written in full (told by {@link HttpFlowControl}, which sees the HTTP objects: this handler is
     * before the codec, so its own {@link #write} sees only encoded bytes on a real pipeline). Its event loop only.
     */
    void answered() {
        giveBack();
    }

    private void giveBack() {
        if (held == 0) {
            return;
        }
        long total = shared.total.addAndGet(-held);
        held = 0;
        if (total <= shared.budget / 2 && shared.over.compareAndSet(true, false)) {
            LOG.info("unfinished HTTP requests are back to {} KiB, under half the budget of {} KiB", total >> 10,
                    shared.budget >> 10);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        giveBack();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        giveBack(); // the connection became a WebSocket
    }
}
