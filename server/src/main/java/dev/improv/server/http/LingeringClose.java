package dev.improv.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose peer may still be sending (an HTTP answer given before the request body was read, a
 * WebSocket close frame to a member that is still sending) without losing the answer. Closing a socket with unread input makes the kernel send RST, and a client
 * still uploading then drops the answer it had already received ("header parser received no bytes"). So:
 * the answer is flushed, the output is shut (the client sees the end of the answer), and whatever else
 * arrives is read and dropped until the client closes or {@code lingerMs} have passed — the same
 * "lingering close" web servers do. Past {@code maxBytes} dropped, reading stops (a reset now would make the
 * client's kernel throw away the answer it has not read) and the connection closes at the end of the linger time.
 * Bounded in time and bytes, so a client cannot hold the connection open by sending forever.
 */
public final class LingeringClose extends ChannelInboundHandlerAdapter {
    public static final String NAME = "lingering-close";
    static final long DEFAULT_LINGER_MS = 2_000;
    static final long DEFAULT_MAX_BYTES = 1 << 20;

    private final long maxBytes;
    private final long lingerMs;
    private long dropped;
    /** The answer is written and the output shut: the client has it (or it is on its way). */
    private boolean answered;
    private boolean overBudget;

    private LingeringClose(long maxBytes, long lingerMs) {
        this.maxBytes = maxBytes;
        this.lingerMs = lingerMs;
    }

    /** Once {@code answer} is written, shuts the output and drains the input before closing. */
    public static void after(ChannelFuture answer, ChannelHandlerContext ctx) {
        after(answer, ctx.channel());
    }

    /** The same for a channel (any thread: the pipeline change runs on the channel's event loop). */
    public static void after(ChannelFuture answer, Channel channel) {
        after(answer, channel, DEFAULT_LINGER_MS, DEFAULT_MAX_BYTES);
    }

    static void after(ChannelFuture answer, Channel channel, long lingerMs, long maxBytes) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> after(answer, channel, lingerMs, maxBytes));
            return;
        }
        LingeringClose lingering = (LingeringClose) channel.pipeline().get(NAME);
        if (lingering == null) {
            lingering = new LingeringClose(maxBytes, lingerMs);
            channel.pipeline().addFirst(NAME, lingering); // drops input from now on
        }
        channel.config().setAutoRead(true); // flow control may have paused reads; draining needs them
        LingeringClose handler = lingering;
        answer.addListener(written -> {
            if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                channel.close();
                return;
            }
            duplex.shutdownOutput().addListener(shut -> {
                handler.answered = true;
                ScheduledFuture<?> deadline = channel.eventLoop().schedule(
                        () -> channel.close(), lingerMs, TimeUnit.MILLISECONDS);
                channel.closeFuture().addListener(closed -> deadline.cancel(false));
            });
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            dropped += buf.readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (dropped > maxBytes && !overBudget) {
            overBudget = true;
            // Closing now, with the client's bytes unread, resets the connection, and a reset makes the client's
            // kernel throw away what it has not read yet: the answer too, when the client looks away while it
            // sends (a member flooding the room while its page is busy lost its kick code so: an end without a
            // close frame). Stop reading instead (TCP holds the sender back; no more work here) and give the
            // client the linger time to take the answer: the deadline after the output is shut, or one from now
            // while the answer still waits behind what the client has not read.
            ctx.channel().config().setAutoRead(false);
            if (!answered) {
                ctx.executor().schedule(() -> {
                    ctx.close();
                }, lingerMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset while draining: the answer was already given
    }
}
