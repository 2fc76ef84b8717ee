package dev.improv.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Refuses a text message that is not UTF-8 (RFC 6455 §8.1: the connection fails with 1007), after the frame
 * aggregator, so a message split over frames is checked whole. It replaces Netty's {@code Utf8FrameValidator}, which
 * runs a byte-at-a-time state machine over every byte: for the 3 KB signals of the load tests that was about 7 % of
 * the server's event-loop CPU (async-profiler, load-tests signal 100x100ms, a busy box). Nearly all traffic is ASCII
 * (JSON with SDP), so eight bytes are checked at a time and only from the first byte of 0x80 or more does the JDK's
 * strict decoder run (overlong forms, surrogates and code points past U+10FFFF are refused, as Netty refuses them).
 */
@ChannelHandler.Sharable
final class TextFrameUtf8Check extends ChannelInboundHandlerAdapter {
    static final String NAME = "utf8";
    static final TextFrameUtf8Check INSTANCE = new TextFrameUtf8Check();

    private TextFrameUtf8Check() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame frame && !isUtf8(frame.content())) {
            frame.release();
            // the same exception Netty's validator throws: the session answers it with INVALID_UTF8 (1007)
            throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
                    "bytes are not UTF-8");
        }
        ctx.fireChannelRead(msg);
    }

    /** Whether the readable bytes are well-formed UTF-8. */
    static boolean isUtf8(ByteBuf bytes) {
        int i = bytes.readerIndex();
        int end = bytes.writerIndex();
        while (end - i >= Long.BYTES && (bytes.getLong(i) & 0x8080_8080_8080_8080L) == 0) {
            i += Long.BYTES;
        }
        while (i < end && bytes.getByte(i) >= 0) {
            i++;
        }
        if (i == end) {
            return true;
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.nioBuffer(i, end - i));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
