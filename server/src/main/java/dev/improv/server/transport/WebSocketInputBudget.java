package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps unfinished WebSocket messages out of direct memory and bounds them over all sessions of the server. A
 * session's frame decoder keeps an unfinished frame (up to the frame limit, 4x the message limit) and the aggregator
 * the fragments of an unfinished message (as much again), by default in pooled direct buffers: 256 sessions that
 * each sent most of a message and then waited (each within its limits, from 8 addresses) held 59 MB, and with
 * 32 MiB of direct memory every read on that I/O thread then waited in {@code Bits.reserveMemory} and the rooms on
 * it got nothing (reproduced by DirectMemoryEndToEndTest).
 *
 * <p>So, as {@link HttpInputBudget} does for HTTP: every read is copied at once into a heap buffer of its exact size
 * and the direct read buffer is given back; the frame decoder grows its buffer on the heap ({@link #HEAP_CUMULATOR});
 * fragments the aggregator will keep are copied to the heap ({@link FrameCounter}). What a session holds is what it
 * read minus the frames that made whole messages (and control frames), counted exactly from the frames' lengths.
 * All sessions together may hold {@link Budget#budget()} bytes ({@code --ws-input-budget-bytes}); when that is
 * passed, the sessions holding the most are closed with {@link ErrorCode#INPUT_BUDGET} (1013, try again later)
 * until what stays held is under three quarters of it: a legitimate member's messages are small and complete, so
 * what it holds is a few KiB for a moment. The first time in a minute the budget is hit the log says so (WARN), and
 * once the total is back under half of it, how many sessions were closed (INFO).
 *
 * <p>First in a WebSocket pipeline (it replaces {@link HttpInputBudget} at the upgrade), with its
 * {@link FrameCounter} right after the frame decoder. One pair per channel, on its event loop; the budget is shared.
 */
final class WebSocketInputBudget extends ChannelInboundHandlerAdapter {
    static final String NAME = "ws-input-budget";
    static final String FRAMES_NAME = "ws-input-frames";
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketInputBudget.class);
    private static final ByteBufAllocator HEAP = new UnpooledByteBufAllocator(false);

    /** Grows a decoder's buffer of unfinished input on the heap (Netty's merge cumulator asks the channel's allocator). */
    static final ByteToMessageDecoder.Cumulator HEAP_CUMULATOR =
            (alloc, cumulation, in) -> ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(HEAP, cumulation, in);

    /** The server's budget for unfinished WebSocket input and its total; thread-safe, shared by all sessions. */
    static final class Budget {
        private final long budget;
        private final ServerMetrics metrics;
        /** Bytes all sessions hold (each adds and gives back its own). */
        private final AtomicLong total = new AtomicLong();
        /** Of {@link #total}, what sessions being closed for the budget still hold until their close completes. */
        private final AtomicLong closing = new AtomicLong();
        private final Set<WebSocketInputBudget> sessions = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean sweeping = new AtomicBoolean();
        private final AtomicBoolean over = new AtomicBoolean();
        /** Sessions closed since the budget was last hit; the over episode's count. */
        private final AtomicLong closedInEpisode = new AtomicLong();
        /** Whether the WARN of this episode was logged (at most one a minute), so the INFO that ends it is too. */
        private volatile boolean episodeLogged;
        private volatile long lastWarnNanos = System.nanoTime() - WARN_EVERY_NANOS;

        Budget(long configured, ServerMetrics metrics) {
            this.budget = configured < 0 ? HttpInputBudget.Shared.autoBudget() : configured; // the same default
            this.metrics = metrics;
            metrics.watchWebSocketInput(total::get);
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

        /**
         * Over the budget: closes the sessions holding the most until what the others hold is under three quarters
         * of it. Any event loop; one sweep at a time (a read that comes while another thread sweeps leaves the
         * excess to the next read).
         */
        private void sweep(WebSocketInputBudget trigger) {
            if (!sweeping.compareAndSet(false, true)) {
                return;
            }
            try {
                long excess = total.get() - closing.get() - budget * 3 / 4;
                if (excess <= 0) {
                    return;
                }
                List<WebSocketInputBudget> holders = new ArrayList<>();
                for (WebSocketInputBudget s : sessions) {
                    if (!s.closing && s.held > 0) {
                        holders.add(s);
                    }
                }
                holders.sort(Comparator.comparingLong((WebSocketInputBudget s) -> s.held).reversed());
                int closed = 0;
                long largest = holders.isEmpty() ? 0 : holders.get(0).held;
                for (WebSocketInputBudget s : holders) {
                    if (excess <= 0) {
                        break;
                    }
                    excess -= s.close();
                    closed++;
                }
                metrics.errors(ErrorCode.INPUT_BUDGET, closed);
                closedInEpisode.addAndGet(closed);
                if (over.compareAndSet(false, true)) {
                    long now = System.nanoTime();
                    episodeLogged = now - lastWarnNanos >= WARN_EVERY_NANOS;
                    if (episodeLogged) {
                        lastWarnNanos = now;
                        LOG.warn("unfinished WebSocket messages hold {} KiB, over the budget of {} KiB "
                                        + "(--ws-input-budget-bytes); closing with 1013 the {} sessions holding the "
                                        + "most (largest {} KiB, latest read from {})", total.get() >> 10,
                                budget >> 10, closed, largest >> 10, trigger.channel.remoteAddress());
                    }
                }
            } finally {
                sweeping.set(false);
            }
        }

        /** A session gave back {@code bytes}; ends the over episode once the total is under half the budget. */
        private void gaveBack(long bytes) {
            long now = total.addAndGet(-bytes);
            if (now <= budget / 2 && over.compareAndSet(true, false)) {
                long closed = closedInEpisode.getAndSet(0);
                if (episodeLogged) {
                    LOG.info("unfinished WebSocket messages are back to {} KiB, under half the budget of {} KiB; "
                            + "{} sessions were closed to get there", now >> 10, budget >> 10, closed);
                }
            }
        }
    }

    private final Budget budget;
    private Channel channel;
    /**
     * Bytes this session read and not yet turned into whole messages; written by its event loop, read by a sweep on
     * any loop.
     */
    private volatile long held;
    /** Set once when a sweep closes this session (any loop); from then on its input is dropped. */
    private volatile boolean closing;
    /** What {@link #held} was when the session was picked to close (counted in {@link Budget#closing}); guarded. */
    private long heldAtClose;
    private boolean cumulatorSet;
    /** The channel ended or the handler was removed: nothing is held any more; guarded by this. */
    private volatile boolean gone;

    WebSocketInputBudget(Budget budget) {
        this.budget = budget;
    }

    /** The handler that counts this session's frames; add it right after the frame decoder. */
    ChannelInboundHandlerAdapter frameCounter() {
        return new FrameCounter();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        budget.sessions.add(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing || gone) {
            buf.release(); // being closed for the budget: nothing more is decoded
            return;
        }
        if (!cumulatorSet) {
            useHeapCumulator(ctx.pipeline());
        }
        int n = buf.readableBytes();
        held += n;
        long total = budget.total.addAndGet(n);
        ByteBuf copy = Unpooled.buffer(n, n).writeBytes(buf); // exact size, on the heap
        buf.release(); // the direct read buffer goes back to the pool now
        if (total - budget.closing.get() > budget.budget) {
            budget.sweep(this);
        }
        if (closing) {
            copy.release();
            return;
        }
        ctx.fireChannelRead(copy);
    }

    /** The frame decoder is added by the handshake: from the first read after it, it grows its buffer on the heap. */
    private void useHeapCumulator(ChannelPipeline pipeline) {
        if (pipeline.get(WebSocketFrameDecoder.class) instanceof ByteToMessageDecoder decoder) {
            decoder.setCumulator(HEAP_CUMULATOR);
            cumulatorSet = true;
        }
    }

    /**
     * Picked by a sweep (any thread): closed with 1013 on its own loop; returns what it holds (0 when it is already
     * gone). Synchronized with {@link #giveBackAll} so that what it adds to {@link Budget#closing} is taken off once.
     */
    private synchronized long close() {
        if (gone || closing) {
            return 0;
        }
        long h = held;
        heldAtClose = h;
        budget.closing.addAndGet(h);
        closing = true;
        channel.eventLoop().execute(() -> {
            ChannelHandlerContext ctx = channel.pipeline().context(this);
            if (ctx != null) {
                ctx.fireUserEventTriggered(OverBudget.INSTANCE);
            } else {
                channel.close();
            }
        });
        return h;
    }

    /** Whole frames were decoded: {@code bytes} of input are no longer held. Event loop. */
    private void consumed(long bytes) {
        long n = Math.min(bytes, held); // bytes the HTTP decoder passed on at the upgrade were never counted here
        if (n > 0) {
            held -= n;
            budget.gaveBack(n);
        }
    }

    private synchronized void giveBackAll() {
        if (gone) {
            return;
        }
        gone = true;
        budget.sessions.remove(this);
        if (closing) {
            budget.closing.addAndGet(-heldAtClose);
        }
        long h = held;
        held = 0;
        if (h > 0) {
            budget.gaveBack(h);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        giveBackAll();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        giveBackAll();
    }

    /**
     * Right after the frame decoder: counts each frame's bytes on the wire (head, mask, payload) as no longer held
     * once it is a control frame or completes a message, and copies the content of fragments (which the aggregator
     * keeps until the message is complete) to the heap.
     */
    private final class FrameCounter extends ChannelInboundHandlerAdapter {
        /** Wire bytes of the fragments of the message being put together. */
        private long fragments;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof WebSocketFrame frame)) {
                ctx.fireChannelRead(msg);
                return;
            }
            long wire = wireBytes(frame.content().readableBytes());
            boolean fragment = frame instanceof ContinuationWebSocketFrame || !frame.isFinalFragment();
            if (!fragment) {
                consumed(wire); // a whole message or a control frame (never fragmented)
                ctx.fireChannelRead(frame);
                return;
            }
            fragments += wire;
            if (frame.isFinalFragment()) {
                consumed(fragments);
                fragments = 0;
                ctx.fireChannelRead(frame);
                return;
            }
            ByteBuf content = frame.content();
            WebSocketFrame onHeap = frame.replace(Unpooled.copiedBuffer(content));
            ReferenceCountUtil.release(frame);
            ctx.fireChannelRead(onHeap);
        }
    }

    /** A client frame's size on the wire: its head (minimal length encoding, as the decoder requires) and mask. */
    static long wireBytes(int payload) {
        return 2 + (payload < 126 ? 0 : payload < 65536 ? 2 : 8) + 4 + (long) payload;
    }

    /** Told to the session: close with {@link ErrorCode#INPUT_BUDGET}. */
    enum OverBudget {
        INSTANCE
    }
}
