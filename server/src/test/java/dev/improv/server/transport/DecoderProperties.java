package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.http.AdminBodies;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.Role;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The property the decoder fuzz tests check on any input, with or without Jazzer: every decoder a peer reaches
 * either accepts the bytes or refuses them with the documented refusal — a {@link ProtocolViolation} (the admin
 * API) or an {@code error} message written back on a connection that stays open (the WebSocket decoders) — and
 * never throws anything else. A refusal says why, names the field when it is about one, and keeps what it echoes
 * short. An accepted message encodes again within the limit it was accepted under and decodes to itself.
 *
 * <p>The first byte of an input picks the decoder ({@link Target}); the rest are the bytes that decoder gets.
 */
final class DecoderProperties {
    /** The server's default message limit ({@code --max-message-bytes}). */
    static final int MAX_MESSAGE_BYTES = 65_536;
    /** The admin API's body limit. */
    static final int MAX_BODY_BYTES = ServerInitializer.MAX_HTTP_BODY_BYTES;
    /** An error's field and message are short whatever the input (they are logged and sent back). */
    static final int MAX_FIELD_CHARS = 130;
    static final int MAX_ERROR_MESSAGE_CHARS = 300;
    private static final Set<ErrorCode> FIELD_ERRORS = Set.of(ErrorCode.INVALID_FIELD, ErrorCode.MISSING_FIELD,
            ErrorCode.UNKNOWN_TYPE);
    private static final ServerMetrics METRICS = new ServerMetrics();

    /** Which decoder an input goes to: its first byte, modulo the number of targets. */
    enum Target {
        /** A text frame through the room connection's decoder (EmbeddedChannel, with the error encoder). */
        ROOM_FRAME,
        /** A text frame through the lobby connection's decoder. */
        LOBBY_FRAME,
        /** A binary frame through the room connection's decoder: always refused, never decoded. */
        ROOM_BINARY_FRAME,
        /** {@code POST /api/rooms} body, decoded as the route table does ({@code HttpExchange.body}). */
        CREATE_ROOM,
        /** {@code POST /api/rooms/{id}/links} and {@code /api/pools/{id}/links} body. */
        NEW_LINK,
        /** {@code POST /api/pools} body. */
        OPEN_POOL;

        static Target of(byte selector) {
            return values()[(selector & 0xff) % values().length];
        }

        /** The selector byte of this target, as the seed files start with it. */
        byte selector() {
            return (byte) ('0' + ordinal());
        }
    }

    private DecoderProperties() {
    }

    /** Checks one input; an AssertionError (or any other throwable) is a finding. */
    static void check(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        switch (Target.of(input[0])) {
            case ROOM_FRAME -> frame(JsonMessageDecoder.forRooms(MAX_MESSAGE_BYTES, () -> 1_700_000_000_000_000L,
                    METRICS), new TextWebSocketFrame(Unpooled.wrappedBuffer(body)), DecoderProperties::roomAccepted);
            case LOBBY_FRAME -> frame(JsonMessageDecoder.forLobbies(MAX_MESSAGE_BYTES, () -> 1L, METRICS),
                    new TextWebSocketFrame(Unpooled.wrappedBuffer(body)), DecoderProperties::lobbyAccepted);
            case ROOM_BINARY_FRAME -> frame(JsonMessageDecoder.forRooms(MAX_MESSAGE_BYTES, () -> 1L, METRICS),
                    new BinaryWebSocketFrame(Unpooled.wrappedBuffer(body)), m -> fail("a binary frame was accepted"));
            case CREATE_ROOM -> adminBody(body, AdminBodies.CreateRoom.class, room -> {
                for (Role role : Role.values()) {
                    room.linksFor(role); // validated in the constructor: may not fail afterwards
                }
                return room;
            });
            case NEW_LINK -> adminBody(body, AdminBodies.NewLink.class, link -> {
                try {
                    link.roleIn(List.of(Role.values()));
                } catch (ProtocolViolation v) {
                    refusal(v.code(), v.field(), v.getMessage());
                }
                return link;
            });
            case OPEN_POOL -> adminBody(body, AdminBodies.OpenPool.class, Function.identity());
        }
    }

    /**
     * One frame through a connection's decoder: either one decoded message goes on, or one error goes back, the
     * channel stays open, nothing is left over (and nothing is thrown: EmbeddedChannel rethrows what the pipeline
     * raised).
     */
    private static void frame(JsonMessageDecoder<?> decoder, WebSocketFrame frame, Consumer<Object> accepted) {
        EmbeddedChannel channel = new EmbeddedChannel(ServerMessageEncoder.INSTANCE, decoder);
        try {
            channel.writeInbound(frame);
            Object in = channel.readInbound();
            TextWebSocketFrame out = channel.readOutbound();
            assertTrue(in == null ^ out == null, "exactly one of: a message decoded, an error sent; got " + in + " / "
                    + out);
            if (out != null) {
                try {
                    JsonNode error = ProtocolCodec.mapper().readTree(out.text());
                    assertEquals("error", error.path("type").asText(), out.text());
                    JsonNode field = error.get("field");
                    refusal(ErrorCode.valueOf(error.path("code").asText()),
                            field == null || field.isNull() ? null : field.asText(), error.path("message").asText());
                    JsonNode cid = error.get("cid");
                    assertTrue(cid == null || cid.isNull() || cid.asText().length() <= ClientMessage.MAX_ID_CHARS);
                } catch (java.io.IOException e) {
                    fail("the error sent back is not JSON: " + out.text());
                } finally {
                    out.release();
                }
            } else {
                accepted.accept(((InboundMessage<?>) in).message());
            }
            assertTrue(channel.isActive(), "a refused message does not close the connection");
        } finally {
            assertFalse(channel.finishAndReleaseAll(), "one answer per frame, nothing left in the channel");
        }
    }

    /** A refusal: a known code, a reason, the field named when the code is about one; all of it short. */
    static void refusal(ErrorCode code, String field, String message) {
        assertNotNull(code, "a refusal has a code");
        assertTrue(message != null && !message.isBlank(), "a refusal says why (" + code + ")");
        assertTrue(message.length() <= MAX_ERROR_MESSAGE_CHARS, "the reason is short: " + message.length()
                + " chars: " + clip(message));
        if (FIELD_ERRORS.contains(code)) {
            assertTrue(field != null && !field.isBlank(), code + " names its field: " + clip(message));
        }
        if (field != null) {
            assertTrue(field.length() <= MAX_FIELD_CHARS, "the field name is short: " + field.length() + " chars: "
                    + clip(field));
        }
    }

    private static void roomAccepted(Object decoded) {
        ClientMessage message = (ClientMessage) decoded;
        byte[] again = ProtocolCodec.encodeClient(message).getBytes(StandardCharsets.UTF_8);
        assertTrue(again.length <= MAX_MESSAGE_BYTES, "an accepted message encodes within the limit: "
                + again.length + " bytes");
        ClientMessage decodedAgain;
        try {
            decodedAgain = ProtocolCodec.decodeClient(again);
        } catch (ProtocolViolation v) {
            throw new AssertionError("an accepted message, encoded again, is refused: " + v.getMessage() + " in "
                    + clip(new String(again, StandardCharsets.UTF_8)), v);
        }
        assertEquals(message, decodedAgain, "an accepted message decodes to itself once encoded again");
    }

    private static void lobbyAccepted(Object decoded) {
        LobbyRequest request = (LobbyRequest) decoded;
        assertNotNull(request.typeName());
        byte[] again;
        try {
            again = ProtocolCodec.mapper().writerFor(LobbyRequest.class).writeValueAsBytes(request);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("an accepted lobby request cannot be encoded again: " + e.getMessage(), e);
        }
        assertTrue(again.length <= MAX_MESSAGE_BYTES);
        assertEquals(request, ProtocolCodec.decodeLobby(new java.io.ByteArrayInputStream(again)));
    }

    /** Like {@code HttpExchange.body}: an empty body reads as {@code {}}. */
    private static <T> void adminBody(byte[] body, Class<T> type, Function<T, T> use) {
        T value;
        try {
            value = ProtocolCodec.decodeStrict(body.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : body, type);
        } catch (ProtocolViolation v) {
            refusal(v.code(), v.field(), v.getMessage());
            return;
        }
        assertNotNull(value);
        use.apply(value);
        byte[] again = write(value);
        assertTrue(again.length <= MAX_BODY_BYTES, "an accepted body encodes within the limit");
        // compared as JSON: a field left out and one given as null are the same body
        assertEquals(ProtocolCodec.mapper().valueToTree(value),
                ProtocolCodec.mapper().valueToTree(ProtocolCodec.decodeStrict(again, type)),
                "an accepted body decodes to itself");
    }

    private static byte[] write(Object value) {
        try {
            return ProtocolCodec.mapper().writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("an accepted value cannot be encoded again: " + e.getMessage(), e);
        }
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
