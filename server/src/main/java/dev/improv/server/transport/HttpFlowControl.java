package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Back-pressure and order for HTTP/1.1 on one connection. Requests are handed to the routes one at a time: the
 * next only after the previous answer was written to the socket, so pipelined answers leave in request order and
 * a client that never reads holds at most one answer in server memory. While requests wait or an answer is
 * unwritten the channel does not read (auto-read off), so the kernel's buffers push back on the client. At most
 * {@code maxPipelined} requests may wait; a client that sends more ahead of their answers is closed at once
 * (counted as TOO_MANY_CONNECTIONS).
 *
 * <p>One timer that bytes cannot reset: from the moment the connection is idle (opened, or the last answer
 * written) the next request must be complete within the request timeout; an answer must be taken by the client
 * within the same time. A slow trickle of header bytes therefore cannot keep a connection open.
 *
 * <p>Sits between the HTTP aggregator and the router; removed when the connection becomes a WebSocket. One per
 * channel; touched on its event loop only.
 */
final class HttpFlowControl extends ChannelDuplexHandler {
    static final String NAME = "http-flow";

    private final int maxPipelined;
    private final long timeoutMs;
    private final ServerMetrics metrics;
    private final ClientErrorLog errors;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    /** A request was handed on and its answer is not yet written to the socket. */
    private boolean answering;
    /** The client sent more than {@link #maxPipelined} requests ahead of their answers. */
    private boolean overflowed;
    private ScheduledFuture<?> timer;

    HttpFlowControl(int maxPipelined, long timeoutMs, ServerMetrics metrics, ClientErrorLog errors) {
        this.errors = errors;
        this.maxPipelined = maxPipelined;
        this.timeoutMs = timeoutMs;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        armTimer(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            armTimer(ctx);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            if (overflowed) {
                ReferenceCountUtil.release(msg); // the undecoded rest, handed on when the decoder was taken out
            } else {
                ctx.fireChannelRead(msg);
            }
            return;
        }
        cancelTimer();
        if (overflowed || waiting.size() >= maxPipelined) {
            ReferenceCountUtil.release(request);
            overflow(ctx);
            return;
        }
        waiting.add(request);
        ctx.channel().config().setAutoRead(false); // the rest of this read is decoded; no new read until answered
        dispatchNext(ctx);
    }

    private void dispatchNext(ChannelHandlerContext ctx) {
        if (answering || !ctx.channel().isWritable()) {
            return;
        }
        FullHttpRequest next = waiting.poll();
        if (next == null) {
            armTimer(ctx);
            ctx.channel().config().setAutoRead(true);
            return;
        }
        answering = true;
        ctx.fireChannelRead(next); // may remove this handler (WebSocket upgrade)
    }

    /**
     * More requests ahead of their answers than allowed: not a browser (browsers do not pipeline). Close at once
     * and take the HTTP decoder out, so that the rest of the bytes already read are not even parsed (24,000
     * pipelined requests in one write would otherwise cost the I/O thread, and the rooms on it, a second).
     */
    private void overflow(ChannelHandlerContext ctx) {
        if (overflowed) {
            return;
        }
        overflowed = true;
        metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
        ctx.channel().config().setAutoRead(false);
        ctx.close();
        ChannelHandler decoder = ctx.pipeline().get(HttpServerCodec.class);
        if (decoder != null) {
            ctx.pipeline().remove(decoder);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            // the input budget sits before the codec and sees only bytes: it is told here that an answer ends
            HttpInputBudget budget = ctx.pipeline().get(HttpInputBudget.class);
            if (budget != null) {
                budget.answered();
            }
        }
        if (answering && msg instanceof LastHttpContent) {
            ChannelPromise p = promise.unvoid();
            armTimer(ctx); // the client must take the answer in time, too
            p.addListener(f -> answerWritten(ctx));
            ctx.write(msg, p);
            return;
        }
        ctx.write(msg, promise);
    }

    private void answerWritten(ChannelHandlerContext ctx) {
        if (ctx.isRemoved()) {
            return;
        }
        answering = false;
        cancelTimer();
        if (!ctx.channel().isActive()) {
            return;
        }
        dispatchNext(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            dispatchNext(ctx);
        }
        super.channelWritabilityChanged(ctx);
    }

    private void armTimer(ChannelHandlerContext ctx) {
        cancelTimer();
        timer = ctx.executor().schedule(() -> {
            metrics.error(ErrorCode.HTTP_TIMEOUT);
            ctx.close();
        }, timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.io.IOException) {
            ctx.close(); // the peer went away
        } else if (ClientErrorLog.outOfMemory(cause)) {
            errors.outOfMemory(ctx.channel(), cause);
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseAll();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }

    private void releaseAll() {
        cancelTimer();
        FullHttpRequest r;
        while ((r = waiting.poll()) != null) {
            ReferenceCountUtil.release(r);
        }
    }
}
