package dev.improv.server.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/**
 * The one place JSON is read and written. Strict where it protects us (duplicate keys, type coercion, trailing
 * tokens, nulls for primitives), lenient where the protocol says so (unknown fields are ignored, so that newer
 * clients can talk to older servers).
 */
public final class ProtocolCodec {
    private static final ObjectMapper MAPPER = strictCoercion(JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build());
    private static final ObjectReader CLIENT_READER = MAPPER.readerFor(ClientMessage.class);
    private static final ObjectReader LOBBY_READER = MAPPER.readerFor(LobbyRequest.class);
    private static final ObjectReader SERVER_READER = MAPPER.readerFor(ServerMessage.class);
    private static final ObjectWriter SERVER_WRITER = MAPPER.writerFor(ServerMessage.class);
    private static final ObjectWriter CLIENT_WRITER = MAPPER.writerFor(ClientMessage.class);

    private ProtocolCodec() {
    }

    /** Numbers and booleans are not text, and text is not a number: no silent conversions. */
    private static ObjectMapper strictCoercion(ObjectMapper mapper) {
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** The shared mapper, for code that reads or writes other JSON (HTTP API, log files). Do not reconfigure. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Decodes one client message.
     *
     * @throws ProtocolViolation naming the code, the field and the reason; never any other exception
     */
    public static ClientMessage decodeClient(InputStream in) {
        try {
            requireObject(in);
            return nonNull(CLIENT_READER.readValue(in));
        } catch (IOException | RuntimeException e) {
            throw violationFor(e);
        }
    }

    public static ClientMessage decodeClient(String json) {
        try {
            if (!json.isBlank() && json.strip().charAt(0) != '{') {
                throw notAnObject();
            }
            return nonNull(CLIENT_READER.readValue(json));
        } catch (IOException | RuntimeException e) {
            throw violationFor(e);
        }
    }

    /**
     * Peeks at the first non-blank byte (the stream must support mark, as Netty's ByteBufInputStream does) so
     * that {@code 42} or {@code []} is called "not an object" rather than "missing 'type'".
     */
    private static void requireObject(InputStream in) throws IOException {
        if (!in.markSupported()) {
            return;
        }
        in.mark(256);
        int b;
        int seen = 0;
        do {
            b = in.read();
        } while (b != -1 && Character.isWhitespace(b) && ++seen < 255);
        in.reset();
        if (b != -1 && b != '{' && !Character.isWhitespace(b)) {
            throw notAnObject();
        }
    }

    private static ProtocolViolation notAnObject() {
        return new ProtocolViolation(ErrorCode.BAD_JSON, null, "a message must be a JSON object with a 'type'");
    }

    /** Decodes one lobby request; like {@link #decodeClient(InputStream)}. */
    public static LobbyRequest decodeLobby(InputStream in) {
        try {
            requireObject(in);
            LobbyRequest request = LOBBY_READER.readValue(in);
            if (request == null) {
                throw notAnObject();
            }
            return request;
        } catch (IOException | RuntimeException e) {
            throw violationFor(e);
        }
    }

    /**
     * Decodes a JSON object into {@code type} with the same strict rules as client messages, and stricter: unknown
     * fields and fractional numbers for integer fields are refused. For request bodies of the admin API.
     *
     * @throws ProtocolViolation naming the code, the field and the reason; never any other exception
     */
    public static <T> T decodeStrict(byte[] json, Class<T> type) {
        try {
            int i = 0;
            while (i < json.length && Character.isWhitespace(json[i])) {
                i++;
            }
            if (i < json.length && json[i] != '{') {
                throw new ProtocolViolation(ErrorCode.BAD_JSON, null, "the body must be a JSON object");
            }
            T value = MAPPER.readerFor(type).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT).readValue(json);
            if (value == null) {
                throw new ProtocolViolation(ErrorCode.BAD_JSON, null, "the body must be a JSON object");
            }
            return value;
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, e.getPropertyName(),
                    "unknown field '" + clip(e.getPropertyName()) + "'");
        } catch (IOException | RuntimeException e) {
            throw violationFor(e);
        }
    }

    private static ClientMessage nonNull(ClientMessage message) {
        if (message == null) {
            throw notAnObject();
        }
        return message;
    }

    /** Decodes a server message: used by test clients and the load generator. */
    public static ServerMessage decodeServer(byte[] json) {
        try {
            return SERVER_READER.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ServerMessage decodeServer(String json) {
        try {
            return SERVER_READER.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] encode(ServerMessage message) {
        try {
            return SERVER_WRITER.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("server message could not be encoded: " + message.typeName(), e);
        }
    }

    /** Encodes a client message: used by test clients and the load generator. */
    public static String encodeClient(ClientMessage message) {
        try {
            return CLIENT_WRITER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static int encodedSize(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node).length;
        } catch (JsonProcessingException e) {
            throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "meta", "'meta' cannot be encoded");
        }
    }

    private static ProtocolViolation violationFor(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProtocolViolation v) {
                return v;
            }
        }
        if (e instanceof InvalidTypeIdException typeError) {
            String id = typeError.getTypeId();
            if (id == null) {
                return new ProtocolViolation(ErrorCode.MISSING_FIELD, "type", "'type' is required");
            }
            return new ProtocolViolation(ErrorCode.UNKNOWN_TYPE, "type", "unknown message type '" + clip(id) + "'");
        }
        if (e instanceof MismatchedInputException mismatch && !(e instanceof ValueInstantiationException)) {
            String field = pathOf(mismatch);
            if (field.isEmpty()) {
                if (mismatch.getMessage() != null && mismatch.getMessage().contains("No content")) {
                    return new ProtocolViolation(ErrorCode.BAD_JSON, null, "the message is empty");
                }
                return new ProtocolViolation(ErrorCode.BAD_JSON, null, "a message must be a JSON object with a 'type'");
            }
            return new ProtocolViolation(ErrorCode.INVALID_FIELD, field, "'" + field + "' has the wrong type");
        }
        if (e instanceof StreamReadException parse) {
            String what = parse.getOriginalMessage();
            if (what != null && what.startsWith("Duplicate field")) {
                return new ProtocolViolation(ErrorCode.BAD_JSON, null, "duplicate key: " + clip(what));
            }
            return new ProtocolViolation(ErrorCode.BAD_JSON, null, "not valid JSON: " + clip(what));
        }
        if (e instanceof JsonMappingException mapping) {
            String field = pathOf(mapping);
            return new ProtocolViolation(ErrorCode.INVALID_FIELD, field.isEmpty() ? null : field,
                    "invalid message: " + clip(mapping.getOriginalMessage()));
        }
        return new ProtocolViolation(ErrorCode.BAD_JSON, null, "unreadable message");
    }

    private static String pathOf(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() > 120 ? oneLine.substring(0, 120) + "…" : oneLine;
    }
}
