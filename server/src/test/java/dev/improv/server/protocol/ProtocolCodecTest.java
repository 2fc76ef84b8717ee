package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The rejection table: every kind of bad input gets a code and, where one field is to blame, its name. */
class ProtocolCodecTest {

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            not json                                              | BAD_JSON          | -
            ''                                                    | BAD_JSON          | -
            {                                                     | BAD_JSON          | -
            []                                                    | BAD_JSON          | -
            null                                                  | BAD_JSON          | -
            42                                                    | BAD_JSON          | -
            {}                                                    | MISSING_FIELD     | type
            {"text":"hi"}                                         | MISSING_FIELD     | type
            {"type":"launch_rockets"}                             | UNKNOWN_TYPE      | type
            {"type":"prompt"}                                     | MISSING_FIELD     | text
            {"type":"prompt","text":""}                           | INVALID_FIELD     | text
            {"type":"prompt","text":5}                            | INVALID_FIELD     | text
            {"type":"prompt","text":"a","text":"b"}               | BAD_JSON          | -
            {"type":"prompt","text":"a","durationMs":-1}          | INVALID_FIELD     | durationMs
            {"type":"prompt","text":"a","durationMs":"10"}        | INVALID_FIELD     | durationMs
            {"type":"prompt","text":"a","meta":[1]}               | INVALID_FIELD     | meta
            {"type":"prompt","text":"a"} trailing                 | BAD_JSON          | -
            {"type":"mark","clientTs":1}                          | MISSING_FIELD     | kind
            {"type":"mark","kind":"laugh","clientTs":1}           | INVALID_FIELD     | kind
            {"type":"mark","kind":"turn_start"}                   | MISSING_FIELD     | clientTs
            {"type":"mark","kind":"turn_start","clientTs":0}      | INVALID_FIELD     | clientTs
            {"type":"signal","kind":"offer","data":{}}            | MISSING_FIELD     | to
            {"type":"signal","to":"p","kind":"offer","data":"x"}  | INVALID_FIELD     | data
            {"type":"signal","to":"p","kind":"hello","data":{}}   | INVALID_FIELD     | kind
            {"type":"mute","target":"p"}                          | MISSING_FIELD     | muted
            {"type":"mute","target":"p","muted":"yes"}            | INVALID_FIELD     | muted
            {"type":"lock","locked":1}                            | INVALID_FIELD     | locked
            {"type":"time_sync"}                                  | MISSING_FIELD     | clientTs
            {"type":"scene_end","cid":""}                         | INVALID_FIELD     | cid
            """)
    void rejects(String json, ErrorCode code, String field) {
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeClient(json));
        assertEquals(code, v.code(), v.getMessage());
        assertEquals(field, v.field(), v.getMessage());
        assertEquals(false, v.getMessage() == null || v.getMessage().isBlank());
    }

    @Test
    void metaOfMoreThanTwoKilobytesIsRefused() {
        String big = "x".repeat(ClientMessage.MAX_META_BYTES);
        ProtocolViolation v = assertThrows(ProtocolViolation.class,
                () -> ProtocolCodec.decodeClient("{\"type\":\"prompt\",\"text\":\"a\",\"meta\":{\"k\":\"" + big + "\"}}"));
        assertEquals("meta", v.field());
    }

    @Test
    void unknownFieldsAreIgnoredAndTypeNeedNotComeFirst() {
        ClientMessage m = ProtocolCodec.decodeClient(
                "{\"text\":\"hi\",\"future\":{\"x\":1},\"type\":\"prompt\",\"cid\":\"c\"}");
        ClientMessage.PushPrompt p = assertInstanceOf(ClientMessage.PushPrompt.class, m);
        assertEquals("hi", p.text());
        assertEquals("c", p.cid());
        assertEquals("prompt", p.typeName());
    }

    @Test
    void serverMessagesRoundTrip() {
        RoomEvent.Prompt prompt = new RoomEvent.Prompt(7, 1_700_000_000_000_000L, "m-1", "cake", 30_000L,
                ProtocolCodec.mapper().createObjectNode().put("k", "v"), 1);
        String json = new String(ProtocolCodec.encode(prompt), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(true, json.startsWith("{\"type\":\"prompt\",\"seq\":7,\"ts\":1700000000000000,\"actor\":\"m-1\""),
                json);
        assertEquals(prompt, ProtocolCodec.decodeServer(json));
        ServerMessage.Error error = new ServerMessage.Error(ErrorCode.ROOM_FULL, null, "full", null);
        assertEquals("{\"type\":\"error\",\"code\":\"ROOM_FULL\",\"message\":\"full\"}",
                new String(ProtocolCodec.encode(error), java.nio.charset.StandardCharsets.UTF_8));
    }
}
