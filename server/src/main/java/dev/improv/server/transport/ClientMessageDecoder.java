package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MicrosClock;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;

/**
 * Text frame to {@link ClientMessage}, on the I/O thread. Anything wrong with a frame is answered with an
 * {@code error} naming the field and the reason; the frame is dropped, the connection stays open.
 */
final class ClientMessageDecoder extends MessageToMessageDecoder<WebSocketFrame> {
    private final int maxMessageBytes;
    private final MicrosClock clock;
    private final ServerMetrics metrics;

    ClientMessageDecoder(int maxMessageBytes, MicrosClock clock, ServerMetrics metrics) {
        super(WebSocketFrame.class);
        this.maxMessageBytes = maxMessageBytes;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        long receivedAt = clock.nowMicros();
        if (!(frame instanceof TextWebSocketFrame)) {
            refuse(ctx, new ProtocolViolation(ErrorCode.UNSUPPORTED_FRAME, null,
                    "only text frames with JSON are accepted"));
            return;
        }
        int size = frame.content().readableBytes();
        if (size > maxMessageBytes) {
            refuse(ctx, new ProtocolViolation(ErrorCode.MESSAGE_TOO_LARGE, null,
                    "message of " + size + " bytes is larger than the limit of " + maxMessageBytes));
            return;
        }
        try {
            ClientMessage message = ProtocolCodec.decodeClient(new ByteBufInputStream(frame.content()));
            metrics.messageIn(message.typeName());
            out.add(new InboundMessage(message, receivedAt));
        } catch (ProtocolViolation v) {
            refuse(ctx, v);
        }
    }

    private void refuse(ChannelHandlerContext ctx, ProtocolViolation v) {
        metrics.error(v.code());
        ServerMessage.Error error = v.toError(null);
        ctx.writeAndFlush(error);
    }
}
