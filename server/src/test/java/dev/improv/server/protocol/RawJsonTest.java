package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A signal's data is checked and relayed as the bytes received: no tree, no re-encoding. */
class RawJsonTest {
    private static final String DATA = "{ \"description\" : {\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
            + "127.0.0.1\\r\\n\\u00e9\"}, \"n\": [1, 2.5, -3e2, {\"deep\": [[]]}], \"sid\":\"k3\" }";

    @Test
    void theRelayCarriesExactlyTheBytesReceived() {
        ClientMessage.Signal signal = (ClientMessage.Signal) ProtocolCodec.decodeClient(
                ("{\"type\":\"signal\",\"to\":\"p-b\",\"kind\":\"offer\",\"data\":" + DATA + ",\"cid\":\"c1\"}")
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(DATA, signal.data().text(), "whitespace, escapes and number forms untouched");
        String relayed = new String(ProtocolCodec.encode(new ServerMessage.SignalRelay("p-a", signal.kind(),
                signal.data())), StandardCharsets.UTF_8);
        assertEquals("{\"type\":\"signal\",\"from\":\"p-a\",\"kind\":\"offer\",\"data\":" + DATA + "}", relayed);
        ServerMessage.SignalRelay back = (ServerMessage.SignalRelay) ProtocolCodec.decodeServer(relayed);
        assertEquals(signal.data(), back.data());
        assertEquals("offer", back.data().toTree().path("description").path("type").asText());
    }

    @Test
    void dataIsAnObjectWithFiniteNumbersAndNoDuplicateKeys() {
        assertRefused("\"sdp\"", ErrorCode.INVALID_FIELD, "data");
        assertRefused("[1,2]", ErrorCode.INVALID_FIELD, "data");
        assertRefused("{\"x\":1e400}", ErrorCode.INVALID_FIELD, "data");
        assertRefused("{\"x\":-1e400}", ErrorCode.INVALID_FIELD, "data");
        // broken JSON inside data is reported as data's fault
        assertRefused("{\"x\":NaN}", ErrorCode.INVALID_FIELD, "data");
        assertRefused("{\"x\":1,\"x\":2}", ErrorCode.INVALID_FIELD, "data");
        assertRefused("{\"x\":[1,}", ErrorCode.INVALID_FIELD, "data");
        assertRefused("null", ErrorCode.MISSING_FIELD, "data");
    }

    @Test
    void aMessageWithoutDataIsRefusedNamingIt() {
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeClient(
                "{\"type\":\"signal\",\"to\":\"p-b\",\"kind\":\"ice\"}"));
        assertEquals(ErrorCode.MISSING_FIELD, v.code());
        assertEquals("data", v.field());
    }

    @Test
    void dataBeforeTheTypeIsStillRelayedWhole() {
        // Jackson buffers the fields before "type": no source offsets, so the tokens are copied (compact form).
        ClientMessage.Signal signal = (ClientMessage.Signal) ProtocolCodec.decodeClient(
                "  {\"data\":{\"a\" : \"}\", \"b\":[1.5]},\"to\":\"p-b\",\"type\":\"signal\",\"kind\":\"ice\"}");
        assertEquals("{\"a\":\"}\",\"b\":[1.5]}", signal.data().text());
        assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeClient(
                "{\"data\":{\"x\":1e999},\"to\":\"p-b\",\"type\":\"signal\",\"kind\":\"ice\"}"));
    }

    private static void assertRefused(String data, ErrorCode code, String field) {
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeClient(
                "{\"type\":\"signal\",\"to\":\"p-b\",\"kind\":\"ice\",\"data\":" + data + "}"), data);
        assertEquals(code, v.code(), data + ": " + v.getMessage());
        assertEquals(field, v.field(), data + ": " + v.getMessage());
    }
}
