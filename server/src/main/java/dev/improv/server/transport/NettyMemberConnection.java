package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.SharedFrame;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A participant's WebSocket as the room sees it. Called from the room's owner thread; Netty queues writes
 * from other threads onto the channel's event loop. A connection whose outbound buffer passed the high-water
 * mark is cut off instead of buffering without bound.
 */
final class NettyMemberConnection implements MemberConnection {
    /** Close code used when a refusal keeps connections open elsewhere but must end this one. */
    static final int BAD_REQUEST_CLOSE = 4400;
    private static final long FORCE_CLOSE_AFTER_MS = 2_000;
    private static final int MAX_CLOSE_REASON_BYTES = 123;

    private final Channel channel;
    private final ServerMetrics metrics;
    /** Set once by any thread that starts closing; read by senders. */
    private volatile boolean closing;

    NettyMemberConnection(Channel channel, ServerMetrics metrics) {
        this.channel = channel;
        this.metrics = metrics;
    }

    @Override
    public void send(SharedFrame frame) {
        if (writableOrCutOff()) {
            channel.writeAndFlush(((ByteBufFrames.Frame) frame).newWebSocketFrame(), channel.voidPromise());
        }
    }

    @Override
    public void send(ServerMessage message) {
        if (writableOrCutOff()) {
            channel.writeAndFlush(message, channel.voidPromise());
            metrics.messagesOut(message.typeName(), 1);
        }
    }

    Channel channel() {
        return channel;
    }

    /** True when a write may go out now; cuts off a connection whose outbound buffer passed the high-water mark. */
    boolean writableOrCutOff() {
        if (closing || !channel.isActive()) {
            return false;
        }
        if (!channel.isWritable()) {
            metrics.error(ErrorCode.SLOW_CONSUMER);
            close(ErrorCode.SLOW_CONSUMER, "too slow to receive the room's events; reconnect to resume");
            return false;
        }
        return true;
    }

    @Override
    public void close(ErrorCode code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        int status = code.closesConnection() ? code.closeCode() : BAD_REQUEST_CLOSE;
        channel.writeAndFlush(new CloseWebSocketFrame(status, clip(reason))).addListener(ChannelFutureListener.CLOSE);
        // A slow consumer may never take the close frame off the socket: do not wait for it forever.
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, FORCE_CLOSE_AFTER_MS, TimeUnit.MILLISECONDS);
    }

    boolean closing() {
        return closing;
    }

    @Override
    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    /** Close reasons are limited to 123 bytes of UTF-8 by RFC 6455. */
    static String clip(String reason) {
        if (reason == null) {
            return "";
        }
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_CLOSE_REASON_BYTES) {
            return reason;
        }
        String s = reason;
        while (s.getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON_BYTES) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
