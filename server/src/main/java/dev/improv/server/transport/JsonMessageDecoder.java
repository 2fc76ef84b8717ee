package dev.improv.server.transport;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MicrosClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Function;

/**
 * Text frame to a message record ({@link ClientMessage} in rooms, {@link LobbyRequest} in lobbies), on the I/O
 * thread. Anything wrong with a frame is answered with an {@code error} naming the field and the reason; the
 * frame is dropped, the connection stays open. One per channel.
 *
 * @param <M> the message type of this kind of connection
 */
final class JsonMessageDecoder<M> extends MessageToMessageDecoder<WebSocketFrame> {
    private final int maxMessageBytes;
    private final MicrosClock clock;
    private final ServerMetrics metrics;
    private final Function<InputStream, M> decode;
    private final Function<M, String> typeName;

    JsonMessageDecoder(int maxMessageBytes, MicrosClock clock, ServerMetrics metrics, Function<InputStream, M> decode,
                       Function<M, String> typeName) {
        super(WebSocketFrame.class);
        this.maxMessageBytes = maxMessageBytes;
        this.clock = clock;
        this.metrics = metrics;
        this.decode = decode;
        this.typeName = typeName;
    }

    static JsonMessageDecoder<ClientMessage> forRooms(int maxMessageBytes, MicrosClock clock, ServerMetrics metrics) {
        return new JsonMessageDecoder<>(maxMessageBytes, clock, metrics, ProtocolCodec::decodeClient,
                ClientMessage::typeName);
    }

    static JsonMessageDecoder<LobbyRequest> forLobbies(int maxMessageBytes, MicrosClock clock, ServerMetrics metrics) {
        return new JsonMessageDecoder<>(maxMessageBytes, clock, metrics, ProtocolCodec::decodeLobby,
                LobbyRequest::typeName);
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
        ByteBuf original = frame.content().duplicate(); // decoding moves the reader index; the cid is read from this
        try {
            M message = decode.apply(new ByteBufInputStream(frame.content()));
            metrics.messageIn(typeName.apply(message));
            out.add(new InboundMessage<>(message, receivedAt));
        } catch (ProtocolViolation v) {
            refuse(ctx, v, cidOf(original));
        }
    }

    private void refuse(ChannelHandlerContext ctx, ProtocolViolation v) {
        refuse(ctx, v, null);
    }

    private void refuse(ChannelHandlerContext ctx, ProtocolViolation v, String cid) {
        metrics.error(v.code());
        ServerMessage.Error error = v.toError(cid);
        ctx.writeAndFlush(error);
    }

    /**
     * The message's own {@code cid} (a top-level string of 1 to 64 characters), so that a refusal names the
     * message it refuses and the client can drop it from its resend queue; null when there is none or the frame
     * is not a readable JSON object. Read with the streaming parser: values are skipped, not built.
     */
    static String cidOf(ByteBuf content) {
        try (JsonParser p = ProtocolCodec.mapper().getFactory().createParser((InputStream) new ByteBufInputStream(content))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("cid".equals(name)) {
                    String cid = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    return cid != null && !cid.isEmpty() && cid.length() <= ClientMessage.MAX_ID_CHARS ? cid : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null; // not JSON up to the cid: there is nothing to tie the refusal to
        }
    }
}
