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
    @Test
    void aRefusalNamesTheCidOfTheMessageItRefuses() throws Exception {
        channel.writeInbound(new TextWebSocketFrame(
                "{\"type\":\"prompt\",\"meta\":{\"cid\":\"inner\"},\"text\":\"x\",\"durationMs\":5000000,\"cid\":\"m-7\"}"));
        JsonNode error = outboundJson();
        assertEquals("INVALID_FIELD", error.path("code").asText());
        assertEquals("durationMs", error.path("field").asText());
        assertEquals("m-7", error.path("cid").asText(), "the top-level cid, not one nested in meta: " + error);
        assertNull(channel.readInbound());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aRefusalCarriesNoCidWhenTheMessageHasNoReadableOne() throws Exception {
        for (String bad : new String[] {"{\"type\":\"prompt\",\"text\":7}", "{\"cid\":\"a1\",\"type\":\"nope\"",
                "[1,2]", "{\"type\":\"prompt\",\"text\":\"x\",\"durationMs\":-1,\"cid\":" + "\"" + "c".repeat(65) + "\"}"}) {
            channel.writeInbound(new TextWebSocketFrame(bad));
            JsonNode error = outboundJson();
            assertEquals("error", error.path("type").asText(), bad);
            if (bad.startsWith("{\"cid\":\"a1\"")) {
                assertEquals("a1", error.path("cid").asText(), "read before the JSON broke off: " + error);
            } else {
                assertTrue(error.path("cid").isMissingNode() || error.path("cid").isNull(), bad + " -> " + error);
            }
        }
        assertFalse(channel.finishAndReleaseAll());
    }
}
