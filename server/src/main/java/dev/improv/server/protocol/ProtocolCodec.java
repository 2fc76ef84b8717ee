package dev.improv.server.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT) // 1.5 is not a whole number: refused, field named
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
        byte[] json;
        try {
            json = readFrame(in);
        } catch (IOException e) {
            throw violationFor(e, null);
        }
        return decodeClient(json);
    }

    /**
     * The whole stream in an array of its exact size when the stream knows its length (a frame's
     * {@code ByteBufInputStream} does). {@code readAllBytes} would allocate 8–16 KiB buffers for every
     * 200-byte message: measured in load-tests (JFR allocation samples, fan-out 1,000 rooms), three quarters of
     * all the server allocated, and with it most young-GC pauses.
     */
    static byte[] readFrame(InputStream in) throws IOException {
        int known = in.available();
        if (known <= 0) {
            return in.readAllBytes();
        }
        byte[] json = new byte[known];
        int n = in.readNBytes(json, 0, known);
        if (n < known) {
            return Arrays.copyOf(json, n);
        }
        int next = in.read();
        if (next < 0) {
            return json;
        }
        // longer than it said: keep what was read and append the rest
        byte[] rest = in.readAllBytes();
        byte[] all = Arrays.copyOf(json, known + 1 + rest.length);
        all[known] = (byte) next;
        System.arraycopy(rest, 0, all, known + 1, rest.length);
        return all;
    }

    public static ClientMessage decodeClient(String json) {
        return decodeClient(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Decodes one client message from the frame's bytes; a signal's {@code data} is kept as a slice of them
     * ({@link RawJson}), so it is never turned into a tree and encoded again.
     */
    public static ClientMessage decodeClient(byte[] json) {
        requireObject(json);
        return nonNull(read(CLIENT_READER.withAttribute(RawJson.SOURCE, json), json));
    }

    /**
     * Reads one value with a parser of our own, so that a failure the parser raises without naming itself (a number
     * of more than 1,000 digits, a value nested deeper than the parser allows) can still name the message's field
     * it happened in.
     */
    private static <T> T read(ObjectReader reader, byte[] json) {
        JsonParser parser = null;
        try {
            parser = reader.createParser(json);
            return reader.readValue(parser);
        } catch (IOException | RuntimeException e) {
            throw violationFor(e, parser);
        } finally {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // a parser over a byte array holds nothing to release
                }
            }
        }
    }

    /** The first non-blank byte must open an object: {@code 42} or {@code []} is "not an object", not "no type". */
    private static void requireObject(byte[] json) {
        for (byte b : json) {
            if (!Character.isWhitespace(b)) {
                if (b != '{') {
                    throw notAnObject();
                }
                return;
            }
        }
    }

    private static ProtocolViolation notAnObject() {
        return new ProtocolViolation(ErrorCode.BAD_JSON, null, "a message must be a JSON object with a 'type'");
    }

    /** Decodes one lobby request; like {@link #decodeClient(InputStream)}. */
    public static LobbyRequest decodeLobby(InputStream in) {
        byte[] json;
        try {
            json = readFrame(in);
        } catch (IOException e) {
            throw violationFor(e, null);
        }
        requireObject(json);
        LobbyRequest request = read(LOBBY_READER, json);
        if (request == null) {
            throw notAnObject();
        }
        return request;
    }

    /**
     * Decodes a JSON object into {@code type} with the same strict rules as client messages, and stricter: unknown
     * fields and fractional numbers for integer fields are refused. For request bodies of the admin API.
     *
     * @throws ProtocolViolation naming the code, the field and the reason; never any other exception
     */
    public static <T> T decodeStrict(byte[] json, Class<T> type) {
        int i = 0;
        while (i < json.length && Character.isWhitespace(json[i])) {
            i++;
        }
        if (i < json.length && json[i] != '{') {
            throw new ProtocolViolation(ErrorCode.BAD_JSON, null, "the body must be a JSON object");
        }
        T value = read(MAPPER.readerFor(type).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT), json);
        if (value == null) {
            throw new ProtocolViolation(ErrorCode.BAD_JSON, null, "the body must be a JSON object");
        }
        return value;
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
            return SERVER_READER.withAttribute(RawJson.SOURCE, json).readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ServerMessage decodeServer(String json) {
        return decodeServer(json.getBytes(StandardCharsets.UTF_8));
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

    /** The refusal for a failure of Jackson's; {@code parser} (null if none) tells where it stopped. */
    private static ProtocolViolation violationFor(Throwable e, JsonParser parser) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProtocolViolation v) {
                return v;
            }
        }
        if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException unknown) {
            String name = clipField(unknown.getPropertyName());
            if (name == null || name.isBlank()) { // found by the fuzz test: an error naming the field ""
                return new ProtocolViolation(ErrorCode.BAD_JSON, null, "a field with an empty name is not allowed");
            }
            return new ProtocolViolation(ErrorCode.INVALID_FIELD, name, "unknown field '" + name + "'");
        }
        StreamConstraintsException tooBig = causeOf(e, StreamConstraintsException.class);
        if (tooBig != null) {
            // a number of more than 1,000 digits, a value nested too deep, a string too long to read: the parser's
            // limits, raised without a location; the field is where our own parser stopped
            String field = topLevelField(parser);
            return new ProtocolViolation(field == null ? ErrorCode.BAD_JSON : ErrorCode.INVALID_FIELD, field,
                    (field == null ? "the message" : "'" + field + "'") + " is too large to read: "
                            + clip(tooBig.getOriginalMessage()));
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
            String field = topLevelField(parse.getProcessor() != null ? parse.getProcessor() : parser);
            return new ProtocolViolation(ErrorCode.BAD_JSON, field, (field == null ? "" : "in '" + field + "': ")
                    + "not valid JSON: " + clip(what));
        }
        if (e instanceof JsonMappingException mapping) {
            String field = pathOf(mapping);
            return new ProtocolViolation(ErrorCode.INVALID_FIELD, field.isEmpty() ? null : field,
                    "invalid message: " + clip(mapping.getOriginalMessage()));
        }
        return new ProtocolViolation(ErrorCode.BAD_JSON, null, "unreadable message");
    }

    private static <X extends Throwable> X causeOf(Throwable e, Class<X> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /**
     * The message's own field in which the parser stopped (a 1001-digit number, a 10,000-deep value), or null at
     * the top level.
     */
    private static String topLevelField(JsonParser parser) {
        if (parser == null) {
            return null;
        }
        String name = null;
        for (com.fasterxml.jackson.core.JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot();
             c = c.getParent()) {
            if (c.getParent() != null && c.getParent().inRoot() && c.inObject()) {
                name = c.getCurrentName() == null || c.getCurrentName().isBlank() ? null // an empty key names nothing
                        : clipField(c.getCurrentName());
            }
        }
        return name;
    }

    private static String pathOf(JsonMappingException e) {
        return clipField(e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")));
    }

    /**
     * A field name as an error names it: a client's own key (an unknown field, a key inside {@code meta}) is cut to
     * {@value #MAX_FIELD_CHARS} characters, so that an error never echoes a long key back.
     */
    private static String clipField(String name) {
        if (name == null || name.length() <= MAX_FIELD_CHARS) {
            return name;
        }
        return name.substring(0, MAX_FIELD_CHARS) + "…";
    }

    /** The longest field name an error repeats (the protocol's own names are far shorter). */
    static final int MAX_FIELD_CHARS = 100;

    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() > 120 ? oneLine.substring(0, 120) + "…" : oneLine;
    }
}
