package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The generated schemas (from {@link FieldRules}) say what the record constructors do: for every client message,
 * a message made of its required fields is accepted; without a required field it is refused naming that field;
 * every bound is probed at the limit (accepted) and one past it (refused, naming the field).
 */
class ProtocolAgreementTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final List<String> disagreements = new ArrayList<>();

    @Test
    void schemasAndRecordConstructorsAgree() {
        for (MessageKind kind : List.of(MessageKind.ROOM_CLIENT, MessageKind.LOBBY_CLIENT)) {
            for (String type : kind.types().keySet()) {
                probe(kind, type, JsonSchemas.of(kind, type));
            }
        }
        assertEquals(List.of(), disagreements);
    }

    private void probe(MessageKind kind, String type, ObjectNode schema) {
        ObjectNode minimal = NODES.objectNode().put("type", type);
        for (JsonNode required : schema.path("required")) {
            if (!required.asText().equals("type")) {
                minimal.set(required.asText(), validValue(schema.path("properties").path(required.asText())));
            }
        }
        expectAccepted(kind, minimal, type + " with its required fields only");
        for (JsonNode required : schema.path("required")) {
            String field = required.asText();
            if (!field.equals("type")) {
                ObjectNode without = minimal.deepCopy();
                without.remove(field);
                expectRefused(kind, without, ErrorCode.MISSING_FIELD, field, type + " without " + field);
            }
        }
        // At a maximum, the message's other required bounded numbers sit at theirs too: timestamps are ordered
        // (serverSendTs >= serverRecvTs, clientRecvTs >= clientTs), so one at 2^53 - 1 and the rest at 1 is refused
        // for the order, not the bound.
        ObjectNode atMaximum = minimal.deepCopy();
        for (JsonNode required : schema.path("required")) {
            JsonNode rs = schema.path("properties").path(required.asText());
            if (rs.has("maximum")) {
                atMaximum.set(required.asText(), NODES.numberNode(rs.path("maximum").asLong()));
            }
        }
        Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
        while (properties.hasNext()) {
            Map.Entry<String, JsonNode> p = properties.next();
            if (!p.getKey().equals("type")) {
                probeBounds(kind, type, minimal, atMaximum, p.getKey(), p.getValue());
            }
        }
    }

    private void probeBounds(MessageKind kind, String type, ObjectNode minimal, ObjectNode atMaximum, String field,
                             JsonNode s) {
        String what = type + "." + field;
        expectAccepted(kind, with(minimal, field, validValue(s)), what + " valid");
        if (s.has("maxLength")) {
            int max = s.path("maxLength").asInt();
            expectAccepted(kind, with(minimal, field, NODES.textNode("x".repeat(max))), what + " at maxLength");
            expectRefused(kind, with(minimal, field, NODES.textNode("x".repeat(max + 1))), ErrorCode.INVALID_FIELD,
                    field, what + " over maxLength");
        }
        if (s.path("minLength").asInt() == 1) {
            expectRefused(kind, with(minimal, field, NODES.textNode("")), ErrorCode.INVALID_FIELD, field, what + " empty");
        }
        if (s.has("pattern")) {
            expectRefused(kind, with(minimal, field, NODES.textNode("  ")), ErrorCode.INVALID_FIELD, field,
                    what + " blank");
        }
        if (s.has("minimum")) {
            long min = s.path("minimum").asLong();
            expectAccepted(kind, with(minimal, field, NODES.numberNode(min)), what + " at minimum");
            expectRefused(kind, with(minimal, field, NODES.numberNode(min - 1)), ErrorCode.INVALID_FIELD, field,
                    what + " under minimum");
        }
        if (s.has("maximum")) {
            long max = s.path("maximum").asLong();
            expectAccepted(kind, with(atMaximum, field, NODES.numberNode(max)), what + " at maximum");
            expectRefused(kind, with(minimal, field, NODES.numberNode(max + 1)), ErrorCode.INVALID_FIELD, field,
                    what + " over maximum");
        }
        if (s.has("maxItems")) {
            int max = s.path("maxItems").asInt();
            expectAccepted(kind, with(minimal, field, list(max, "en")), what + " at maxItems");
            expectRefused(kind, with(minimal, field, list(max + 1, "en")), ErrorCode.INVALID_FIELD, field,
                    what + " over maxItems");
            int itemMax = s.path("items").path("maxLength").asInt();
            expectRefused(kind, with(minimal, field, list(1, "x".repeat(itemMax + 1))), ErrorCode.INVALID_FIELD,
                    field, what + " item over maxLength");
            expectAccepted(kind, with(minimal, field, list(1, "x".repeat(itemMax))), what + " item at maxLength");
        }
        if (s.path("minItems").asInt() == 1) {
            expectRefused(kind, with(minimal, field, list(0, "en")), ErrorCode.INVALID_FIELD, field, what + " empty");
        }
        if (s.has(FieldRules.MAX_ENCODED_BYTES)) {
            int max = s.path(FieldRules.MAX_ENCODED_BYTES).asInt();
            String overhead = "{\"k\":\"\"}";
            expectAccepted(kind, with(minimal, field, NODES.objectNode().put("k", "x".repeat(max - overhead.length()))),
                    what + " at its byte limit");
            expectRefused(kind, with(minimal, field,
                    NODES.objectNode().put("k", "x".repeat(max - overhead.length() + 1))), ErrorCode.INVALID_FIELD,
                    field, what + " over its byte limit");
        }
    }

    private static JsonNode validValue(JsonNode s) {
        if (s.has("enum")) {
            return s.path("enum").get(0);
        }
        return switch (s.path("type").asText()) {
            case "string" -> NODES.textNode("x".repeat(Math.max(1, s.path("minLength").asInt())));
            case "integer" -> NODES.numberNode(s.has("minimum") ? s.path("minimum").asLong() : 1);
            case "boolean" -> NODES.booleanNode(true);
            case "object" -> NODES.objectNode();
            case "array" -> list(Math.max(1, s.path("minItems").asInt()), "en");
            default -> throw new IllegalStateException("no sample for " + s);
        };
    }

    private static ArrayNode list(int n, String item) {
        ArrayNode a = NODES.arrayNode();
        for (int i = 0; i < n; i++) {
            a.add(n > 1 ? item + i : item);
        }
        return a;
    }

    private static ObjectNode with(ObjectNode base, String field, JsonNode value) {
        ObjectNode copy = base.deepCopy();
        copy.set(field, value);
        return copy;
    }

    private void expectAccepted(MessageKind kind, ObjectNode message, String what) {
        decode(kind, message, v -> disagreements.add(what + ": refused (" + v.code() + " " + v.field() + ": "
                + v.getMessage() + ") but the schema allows it: " + message));
    }

    private void expectRefused(MessageKind kind, ObjectNode message, ErrorCode code, String field, String what) {
        boolean[] refused = {false};
        decode(kind, message, v -> {
            refused[0] = true;
            if (v.code() != code || !field.equals(v.field())) {
                disagreements.add(what + ": refused as " + v.code() + " on " + v.field() + ", expected " + code
                        + " on " + field);
            }
        });
        if (!refused[0]) {
            disagreements.add(what + ": accepted but the schema forbids it: " + message);
        }
    }

    private static void decode(MessageKind kind, ObjectNode message, Consumer<ProtocolViolation> onRefusal) {
        byte[] bytes = message.toString().getBytes(StandardCharsets.UTF_8);
        try {
            if (kind == MessageKind.ROOM_CLIENT) {
                ProtocolCodec.decodeClient(new ByteArrayInputStream(bytes));
            } else {
                ProtocolCodec.decodeLobby(new ByteArrayInputStream(bytes));
            }
        } catch (ProtocolViolation v) {
            onRefusal.accept(v);
        }
    }
}
