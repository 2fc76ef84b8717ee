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
 * arrives is read and dropped until the client closes, {@code maxBytes} have been dropped or
 * {@code lingerMs} have passed — the same "lingering close" web servers do. Bounded in time and bytes, so a
 * client cannot hold the connection open by sending forever.
 */
public final class LingeringClose extends ChannelInboundHandlerAdapter {
    public static final String NAME = "lingering-close";
    static final long DEFAULT_LINGER_MS = 2_000;
    static final long DEFAULT_MAX_BYTES = 1 << 20;

    private final long maxBytes;
    private long dropped;

    private LingeringClose(long maxBytes) {
        this.maxBytes = maxBytes;
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
        if (channel.pipeline().get(NAME) == null) {
            channel.pipeline().addFirst(NAME, new LingeringClose(maxBytes)); // drops input from now on
        }
        channel.config().setAutoRead(true); // flow control may have paused reads; draining needs them
        answer.addListener(written -> {
            if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                channel.close();
                return;
            }
            duplex.shutdownOutput().addListener(shut -> {
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
        if (dropped > maxBytes) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset while draining: the answer was already given
    }
}
