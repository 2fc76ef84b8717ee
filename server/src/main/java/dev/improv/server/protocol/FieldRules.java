package dev.improv.server.protocol;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the record constructors check on each field of a client message, in JSON Schema words (required,
 * {@code minLength}, {@code maximum}, …), so that the schemas and the browser's {@code LIMITS} are generated from
 * the same constants the constructors use. The constructors stay the enforcement; ProtocolAgreementTest probes
 * every rule listed here against the codec (at the limit accepted, one past refused naming the field, absent
 * refused when required), so this table cannot drift from them unnoticed.
 */
public final class FieldRules {
    /** One field: whether a message without it is refused, and the JSON Schema keywords that bound its value. */
    public record Field(boolean required, Map<String, Object> keywords) {
    }

    /** Extension keyword: the most bytes the field's value may take once encoded as JSON. */
    public static final String MAX_ENCODED_BYTES = "x-maxEncodedBytes";

    private static final Map<MessageKind, Map<String, Map<String, Field>>> RULES = new EnumMap<>(MessageKind.class);

    static {
        rule(MessageKind.ROOM_CLIENT, "signal")
                .required("to", text(ClientMessage.MAX_ID_CHARS)).required("kind").required("data");
        rule(MessageKind.ROOM_CLIENT, "prompt")
                .required("text", text(ClientMessage.MAX_PROMPT_CHARS))
                .optional("durationMs", range(1, ClientMessage.MAX_PROMPT_DURATION_MS))
                .optional("meta", Map.of(MAX_ENCODED_BYTES, ClientMessage.MAX_META_BYTES));
        rule(MessageKind.ROOM_CLIENT, "mark").required("kind").required("clientTs", positive());
        rule(MessageKind.ROOM_CLIENT, "time_sync").required("clientTs", positive());
        rule(MessageKind.ROOM_CLIENT, "time_sync_report").required("clientTs", positive())
                .required("serverRecvTs", positive()).required("serverSendTs", positive())
                .required("clientRecvTs", positive());
        rule(MessageKind.ROOM_CLIENT, "mute").required("target", text(ClientMessage.MAX_ID_CHARS)).required("muted");
        rule(MessageKind.ROOM_CLIENT, "kick").required("target", text(ClientMessage.MAX_ID_CHARS))
                .optional("reason", text(ClientMessage.MAX_REASON_CHARS));
        rule(MessageKind.ROOM_CLIENT, "lock").required("locked");
        rule(MessageKind.ROOM_CLIENT, "scene_start").optional("title", text(ClientMessage.MAX_REASON_CHARS));
        rule(MessageKind.ROOM_CLIENT, "scene_end");
        rule(MessageKind.ROOM_CLIENT, "leave");
        rule(MessageKind.ROOM_CLIENT, "media_state").required("peer", text(ClientMessage.MAX_ID_CHARS))
                .required("state").required("video").required("audio");
        for (Map<String, Field> fields : RULES.get(MessageKind.ROOM_CLIENT).values()) {
            fields.put("cid", new Field(false, ordered("minLength", 1, "maxLength", ClientMessage.MAX_ID_CHARS)));
        }
        rule(MessageKind.LOBBY_CLIENT, "lobby_join")
                .required("languages", list(1))
                .optional("tags", list(0))
                .optional("wantsTagOverlap", Map.of())
                .optional("avoid", list(0))
                .required("consentVersion");
        rule(MessageKind.LOBBY_CLIENT, "lobby_leave");
        rule(MessageKind.LOBBY_CLIENT, "lobby_accept").required("offerId", text(ClientMessage.MAX_ID_CHARS));
        rule(MessageKind.LOBBY_CLIENT, "lobby_decline").required("offerId", text(ClientMessage.MAX_ID_CHARS));
    }

    private FieldRules() {
    }

    /** The rules of one message type, field name to rule; empty for server messages (they are not checked). */
    public static Map<String, Field> of(MessageKind kind, String type) {
        return RULES.getOrDefault(kind, Map.of()).getOrDefault(type, Map.of());
    }

    private static Builder rule(MessageKind kind, String type) {
        Map<String, Field> fields = new LinkedHashMap<>();
        RULES.computeIfAbsent(kind, k -> new LinkedHashMap<>()).put(type, fields);
        return new Builder(fields);
    }

    private record Builder(Map<String, Field> fields) {
        Builder required(String field, Map<String, Object> keywords) {
            fields.put(field, new Field(true, keywords));
            return this;
        }

        Builder required(String field) {
            return required(field, Map.of());
        }

        Builder optional(String field, Map<String, Object> keywords) {
            fields.put(field, new Field(false, keywords));
            return this;
        }
    }

    /** Check.text: non-blank, at most {@code max} characters. */
    private static Map<String, Object> text(int max) {
        return ordered("minLength", 1, "maxLength", max, "pattern", "\\S");
    }

    private static Map<String, Object> range(long min, long max) {
        return ordered("minimum", min, "maximum", max);
    }

    /** Check.positive: a whole number from 1 to 2^53 - 1. */
    private static Map<String, Object> positive() {
        return ordered("minimum", 1, "maximum", Check.MAX_SAFE_INTEGER);
    }

    /** LobbyRequest.Join's lists: {@code minItems} to MAX_LIST items of 1 to MAX_ITEM_CHARS characters. */
    private static Map<String, Object> list(int minItems) {
        return ordered("minItems", minItems, "maxItems", LobbyRequest.MAX_LIST,
                "items", ordered("type", "string", "minLength", 1, "maxLength", LobbyRequest.MAX_ITEM_CHARS,
                        "pattern", "\\S"));
    }

    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }
}
