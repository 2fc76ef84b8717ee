package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The UTF-8 check of whole text messages: what it lets through, what it refuses, and that it agrees with Netty's. */
class TextFrameUtf8CheckTest {
    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static boolean check(byte[] b) {
        return TextFrameUtf8Check.isUtf8(Unpooled.wrappedBuffer(b));
    }

    /** {@code inner} at every offset of an ASCII message, so that it lands inside and across the 8-byte steps. */
    private static boolean everywhere(byte[] inner, boolean expected) {
        for (int at = 0; at <= 20; at++) {
            byte[] msg = new byte[at + inner.length + 11];
            java.util.Arrays.fill(msg, (byte) 'x');
            System.arraycopy(inner, 0, msg, at, inner.length);
            if (check(msg) != expected) {
                return false;
            }
        }
        return true;
    }

    @Test
    void wellFormedTextPassesWhereverItsNonAsciiBytesAre() {
        assertTrue(check(new byte[0]));
        assertTrue(check("{\"type\":\"signal\",\"data\":{\"sdp\":\"v=0\"}}".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(everywhere("é".getBytes(StandardCharsets.UTF_8), true));
        assertTrue(everywhere("€".getBytes(StandardCharsets.UTF_8), true));
        assertTrue(everywhere("🎭".getBytes(StandardCharsets.UTF_8), true)); // four bytes, outside the BMP
        assertTrue(everywhere(bytes(0xF4, 0x8F, 0xBF, 0xBF), true)); // U+10FFFF, the last code point
    }

    @Test
    void malformedTextIsRefusedWhereverItIs() {
        assertTrue(everywhere(bytes(0xC3, 0x28), false), "a lead byte without its continuation");
        assertTrue(everywhere(bytes(0xC0, 0xAF), false), "an overlong '/'");
        assertTrue(everywhere(bytes(0xE0, 0x80, 0xAF), false), "an overlong '/' in three bytes");
        assertTrue(everywhere(bytes(0xED, 0xA0, 0x80), false), "a UTF-16 surrogate");
        assertTrue(everywhere(bytes(0xF4, 0x90, 0x80, 0x80), false), "past U+10FFFF");
        assertTrue(everywhere(bytes(0x80), false), "a continuation byte alone");
        assertTrue(everywhere(bytes(0xFF), false));
        assertFalse(check(bytes('x', 0xE2, 0x82)), "cut off at the end");
    }

    @Test
    void aMessageAggregatedFromFramesIsCheckedWhole() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        CompositeByteBuf split = Unpooled.compositeBuffer();
        split.addComponent(true, Unpooled.wrappedBuffer(new byte[] {'a', euro[0]}));
        split.addComponent(true, Unpooled.wrappedBuffer(new byte[] {euro[1], euro[2], 'b'}));
        assertTrue(TextFrameUtf8Check.isUtf8(split));
        CompositeByteBuf broken = Unpooled.compositeBuffer();
        broken.addComponent(true, Unpooled.wrappedBuffer(new byte[] {'a', euro[0]}));
        broken.addComponent(true, Unpooled.wrappedBuffer(new byte[] {'b'}));
        assertFalse(TextFrameUtf8Check.isUtf8(broken));
        ByteBuf offset = Unpooled.wrappedBuffer(bytes(0x80, 'o', 'k'));
        offset.readerIndex(1);
        assertTrue(TextFrameUtf8Check.isUtf8(offset), "only the readable bytes count");
    }

    /** Random byte strings, most of them near-UTF-8: this check and Netty's validator give the same answer. */
    @Test
    void agreesWithNettysValidatorOnRandomInput() {
        Random random = new Random(20261202);
        int refused = 0;
        for (int n = 0; n < 5_000; n++) {
            byte[] msg;
            if (random.nextBoolean()) {
                StringBuilder text = new StringBuilder();
                for (int i = random.nextInt(40); i > 0; i--) {
                    text.appendCodePoint(random.nextInt(4) == 0 ? random.nextInt(0x10FFFF) : 'a' + random.nextInt(26));
                }
                msg = text.toString().getBytes(StandardCharsets.UTF_8); // lone surrogates become '?': still valid
                if (msg.length > 0 && random.nextBoolean()) {
                    msg[random.nextInt(msg.length)] = (byte) random.nextInt(256); // one byte spoiled
                }
            } else {
                msg = new byte[random.nextInt(24)];
                for (int i = 0; i < msg.length; i++) {
                    msg[i] = (byte) (random.nextInt(3) == 0 ? 0x80 + random.nextInt(128) : random.nextInt(128));
                }
            }
            boolean netty = nettyAccepts(msg);
            assertEquals(netty, check(msg), () -> "disagree on " + java.util.HexFormat.of().formatHex(msg));
            if (!netty) {
                refused++;
            }
        }
        assertTrue(refused > 500 && refused < 4_500, "both kinds were tried: " + refused + " refused");
    }

    private static boolean nettyAccepts(byte[] msg) {
        EmbeddedChannel ch = new EmbeddedChannel(new Utf8FrameValidator());
        try {
            ch.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(msg)));
            TextWebSocketFrame out = ch.readInbound();
            out.release();
            return true;
        } catch (CorruptedFrameException e) {
            return false;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aRefusedMessageIsReleasedAndFailsWith1007() {
        EmbeddedChannel ch = new EmbeddedChannel(TextFrameUtf8Check.INSTANCE);
        TextWebSocketFrame good = new TextWebSocketFrame("{\"type\":\"time_sync\",\"clientTs\":1}");
        ch.writeInbound(good);
        assertSame(good, ch.readInbound());
        good.release();
        TextWebSocketFrame bad = new TextWebSocketFrame(Unpooled.wrappedBuffer(bytes('{', 0xC0, 0xAF, '}')));
        CorruptedWebSocketFrameException e = assertThrows(CorruptedWebSocketFrameException.class,
                () -> ch.writeInbound(bad));
        assertEquals(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, e.closeStatus());
        assertEquals(0, bad.refCnt());
        assertTrue(ch.inboundMessages().isEmpty());
        ch.finishAndReleaseAll();
    }
}
