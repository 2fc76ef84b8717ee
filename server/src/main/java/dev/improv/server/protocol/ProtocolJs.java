package dev.improv.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The browser's copy of the protocol: {@code web/js/protocol.js}, an ES module of frozen constants (message and
 * event types, error and close codes, roles, field limits) generated from the records. Served at
 * {@code /js/protocol.js}; pages import from it instead of keeping their own lists.
 */
public final class ProtocolJs {
    /** Where the module lives in the repository (the web-client jar serves it). */
    public static final String PATH = "web-client/src/main/resources/web/js/protocol.js";

    private static final ObjectWriter JSON = ProtocolCodec.mapper().writer();
    private static final int LINE_WIDTH = 96;

    private ProtocolJs() {
    }

    /** The module's text. */
    public static String generate() {
        StringBuilder js = new StringBuilder();
        js.append("""
                // GENERATED from the Java records in server/src/main/java/dev/improv/server/protocol/ by
                // dev.improv.server.protocol.ProtocolArtifacts. Do not edit: ProtocolArtifactsTest fails when this file
                // differs from what the records generate. Regenerate (also docs/schemas/) with:
                //   mvn -B -q -o -pl server -am test -Dtest=ProtocolArtifactsTest -Dprotocol.regenerate=true \\
                //       -Dsurefire.failIfNoSpecifiedTests=false
                // The protocol itself is described in docs/protocol.md.

                """);
        constant(js, "Protocol version, the welcome's `v`.", "PROTOCOL_VERSION", ServerMessage.PROTOCOL_VERSION);
        constant(js, "Client to server on a room connection.", "CLIENT_MESSAGE_TYPES",
                names(MessageKind.ROOM_CLIENT));
        constant(js, "Server to one room connection, without seq (acks included).", "SERVER_MESSAGE_TYPES",
                names(MessageKind.ROOM_SERVER));
        constant(js, "Room events: the messages that carry the room's gap-free seq (and go into the session log).",
                "ROOM_EVENT_TYPES", names(MessageKind.ROOM_EVENT));
        constant(js, "Server to one lobby connection.", "LOBBY_MESSAGE_TYPES", names(MessageKind.LOBBY_SERVER));
        constant(js, "Client to server on a lobby connection.", "LOBBY_REQUEST_TYPES",
                names(MessageKind.LOBBY_CLIENT));
        constant(js, "Roles, fixed by the join token.", "ROLES", JsonSchemas.wireNames(Role.class));
        constant(js, "Capabilities a join token may grant beyond the role, announced in members' `capabilities` "
                + "(media: the room's media recorder).", "CAPABILITIES", JsonSchemas.wireNames(Capability.class));
        constant(js, "Signal kinds.", "SIGNAL_KINDS", JsonSchemas.wireNames(SignalKind.class));
        Map<String, Object> reconnect = new LinkedHashMap<>();
        reconnect.put("minDelayMs", ReconnectRules.MIN_DELAY_MS);
        reconnect.put("maxDelayMs", ReconnectRules.MAX_DELAY_MS);
        reconnect.put("maxDoublings", ReconnectRules.MAX_DOUBLINGS);
        constant(js, "Reconnect back-off of every client (ReconnectRules): attempt n waits a random time in [c/2, c], "
                + "c = min(maxDelayMs, minDelayMs * 2^min(n-1, maxDoublings)).", "RECONNECT", reconnect);
        constant(js, "Mark kinds.", "MARK_KINDS", JsonSchemas.wireNames(MarkKind.class));
        constant(js, "Media link states of media_state.", "MEDIA_LINK_STATES",
                JsonSchemas.wireNames(MediaLinkState.class));
        constant(js, "Quality conditions of qc_flag.", "QC_FLAGS", JsonSchemas.wireNames(QcFlagKind.class));
        Map<String, Object> errors = new LinkedHashMap<>();
        Map<String, Object> closes = new LinkedHashMap<>();
        for (ErrorCode code : ErrorCode.values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("closeCode", code.closesConnection() ? code.closeCode() : null);
            e.put("retryable", code.retryable());
            errors.put(code.wireName(), e);
            if (code.closesConnection()) {
                closes.put(code.wireName(), code.closeCode());
            }
        }
        constant(js, "Every error code: the WebSocket close code when the error ends the connection (null: it stays "
                + "open), and whether trying again later may succeed (reconnecting by itself, or resending).",
                "ERROR_CODES", errors);
        constant(js, "WebSocket close codes by error code name.", "CLOSE_CODES", closes);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("cid", FieldRules.of(MessageKind.ROOM_CLIENT, "leave").get("cid").keywords());
        for (MessageKind kind : List.of(MessageKind.ROOM_CLIENT, MessageKind.LOBBY_CLIENT)) {
            for (String type : kind.types().keySet()) {
                Map<String, Object> fields = new LinkedHashMap<>();
                FieldRules.of(kind, type).forEach((field, rule) -> {
                    if (!rule.keywords().isEmpty() && !field.equals("cid")) {
                        fields.put(field, rule.keywords());
                    }
                });
                if (!fields.isEmpty()) {
                    limits.put(type, fields);
                }
            }
        }
        constant(js, "Field limits of client messages, by message type and field (cid: of every room message), in JSON "
                + "Schema words ("
                + FieldRules.MAX_ENCODED_BYTES + ": bytes once encoded as JSON).", "LIMITS", limits);
        js.append(FOOTER);
        return js.toString();
    }

    private static List<String> names(MessageKind kind) {
        return new ArrayList<>(kind.types().keySet());
    }

    private static void constant(StringBuilder js, String doc, String name, Object value) {
        js.append("/** ").append(doc).append(" */\n");
        js.append("export const ").append(name).append(" = ");
        js.append(value instanceof Number ? value.toString() : "deepFreeze(" + literal(value) + ")").append(";\n\n");
    }

    /**
     * A list on as few lines as fit, a map with one entry per line (a map of maps: one inner entry per line),
     * values inside as compact JSON.
     */
    private static String literal(Object value) {
        if (value instanceof List<?> list) {
            StringBuilder out = new StringBuilder("[");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < list.size(); i++) {
                String item = compact(list.get(i)) + (i < list.size() - 1 ? "," : "");
                if (line.length() > 0 && line.length() + item.length() + 1 > LINE_WIDTH) {
                    out.append(line).append("\n  ");
                    line.setLength(0);
                }
                line.append(line.length() > 0 ? " " : "").append(item);
            }
            return out.append(line).append("]").toString();
        }
        StringBuilder out = new StringBuilder("{\n");
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
            out.append("  ").append(e.getKey()).append(": ");
            if (e.getValue() instanceof Map<?, ?> inner && inner.values().stream().allMatch(v -> v instanceof Map)) {
                out.append("{\n");
                inner.forEach((k, v) -> out.append("    ").append(k).append(": ").append(compact(v)).append(",\n"));
                out.append("  },\n");
            } else {
                out.append(compact(e.getValue())).append(",\n");
            }
        }
        return out.append("}").toString();
    }

    private static String compact(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The helper the constants use (a hoisted function declaration, so it may come last). */
    private static final String FOOTER = """
            function deepFreeze(value) {
              if (value && typeof value === 'object') {
                Object.values(value).forEach(deepFreeze);
                Object.freeze(value);
              }
              return value;
            }
            """;
}
