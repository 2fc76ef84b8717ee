package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ProtocolCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonMessageDecoderTest {
    final ServerMetrics metrics = new ServerMetrics();
    final EmbeddedChannel channel = new EmbeddedChannel(ServerMessageEncoder.INSTANCE,
            JsonMessageDecoder.forRooms(1024, () -> 42L, metrics));

    JsonNode outboundJson() throws Exception {
        TextWebSocketFrame frame = channel.readOutbound();
        try {
            return ProtocolCodec.mapper().readTree(frame.text());
        } finally {
            frame.release();
        }
    }

    @Test
    void decodesAValidMessageWithItsReceiveTime() {
        assertTrue(channel.writeInbound(new TextWebSocketFrame("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":9}")));
        InboundMessage<?> in = channel.readInbound();
        assertInstanceOf(ClientMessage.Mark.class, in.message());
        assertEquals(42L, in.receivedAt());
        assertNull(channel.readOutbound());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void answersBadInputWithAnErrorAndStaysOpen() throws Exception {
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"prompt\",\"text\":7}"));
        JsonNode error = outboundJson();
        assertEquals("error", error.path("type").asText());
        assertEquals("INVALID_FIELD", error.path("code").asText());
        assertEquals("text", error.path("field").asText());
        assertNull(channel.readInbound());
        assertTrue(channel.isActive());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void refusesBinaryFramesAndOversizedMessages() throws Exception {
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        assertEquals("UNSUPPORTED_FRAME", outboundJson().path("code").asText());
        String big = "{\"type\":\"prompt\",\"text\":\"" + "x".repeat(2000) + "\"}";
        channel.writeInbound(new TextWebSocketFrame(Unpooled.copiedBuffer(big, StandardCharsets.UTF_8)));
        assertEquals("MESSAGE_TOO_LARGE", outboundJson().path("code").asText());
        assertTrue(channel.isActive());
        assertTrue(metrics.scrape().contains("improv_errors_total{code=\"message_too_large\"} 1.0"));
        assertFalse(channel.finishAndReleaseAll());
    }
}
