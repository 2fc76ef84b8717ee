package dev.improv.server.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JSON object the server relays without using it (a signal's {@code data}): checked once while the message is
 * read — an object, well-formed, no duplicate keys, no number that is not finite — and then kept as the exact
 * UTF-8 bytes received, which are written out again as they are. No tree is built and nothing is re-encoded.
 */
@JsonSerialize(using = RawJson.Writer.class)
@JsonDeserialize(using = RawJson.Reader.class)
public final class RawJson {
    /** Deserialization attribute: the byte[] being decoded, so the reader can slice the object out of it. */
    static final Object SOURCE = new Object();

    private final byte[] utf8;

    private RawJson(byte[] utf8) {
        this.utf8 = utf8;
    }

    /** From a tree (test clients, the media recorder): encoded once. */
    public static RawJson of(JsonNode object) {
        if (object == null || !object.isObject()) {
            throw new IllegalArgumentException("a JSON object is required");
        }
        try {
            return new RawJson(ProtocolCodec.mapper().writeValueAsBytes(object));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The exact bytes received. */
    public int size() {
        return utf8.length;
    }

    /** Parsed into a tree, for code that reads inside (tests, the media recorder). */
    public JsonNode toTree() {
        try {
            return ProtocolCodec.mapper().readTree(utf8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String text() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawJson r && Arrays.equals(utf8, r.utf8);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(utf8);
    }

    @Override
    public String toString() {
        return text();
    }

    /**
     * Walks the object's tokens without decoding its strings and slices its bytes out of the source. When Jackson
     * replays buffered tokens instead (a {@code type} that comes after {@code data}), there are no source offsets:
     * the tokens are copied into new bytes, the one case where {@code data} is encoded again.
     */
    static final class Reader extends JsonDeserializer<RawJson> {
        @Override
        public RawJson deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String field = p.currentName() == null ? "data" : p.currentName();
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field, "'" + field + "' must be a JSON object");
            }
            byte[] source = ctxt.getAttribute(SOURCE) instanceof byte[] b && p instanceof UTF8StreamJsonParser ? b : null;
            long start = p.currentTokenLocation().getByteOffset();
            ByteArrayOutputStream copy = source == null ? new ByteArrayOutputStream() : null;
            try (JsonGenerator gen = copy == null ? null : p.getCodec().getFactory().createGenerator(copy)) {
                if (gen != null) {
                    gen.copyCurrentEvent(p);
                }
                for (int depth = 1; depth > 0; ) {
                    JsonToken t = p.nextToken();
                    if (t == null) {
                        throw new ProtocolViolation(ErrorCode.BAD_JSON, field, "'" + field + "' is cut short");
                    }
                    switch (t) {
                        case START_OBJECT, START_ARRAY -> depth++;
                        case END_OBJECT, END_ARRAY -> depth--;
                        case VALUE_NUMBER_FLOAT -> {
                            if (!Double.isFinite(p.getDoubleValue())) {
                                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                                        "'" + field + "' holds a number that is not finite");
                            }
                        }
                        default -> {
                        }
                    }
                    if (gen != null) {
                        gen.copyCurrentEvent(p);
                    }
                }
            }
            if (copy != null) {
                return new RawJson(copy.toByteArray());
            }
            long end = p.currentLocation().getByteOffset();
            // Jackson skips the strings inside without decoding them, so their bytes are checked here: relayed as
            // received, they must be UTF-8 (the fuzzer found an overlong "\xc0\xaf" accepted, then re-encoded
            // differently). Nearly all signal data is ASCII, which needs no decoder.
            if (!utf8((int) start, (int) end, source)) {
                throw new ProtocolViolation(ErrorCode.BAD_JSON, field, "'" + field + "' is not valid UTF-8");
            }
            return new RawJson(Arrays.copyOfRange(source, (int) start, (int) end));
        }

        private static boolean utf8(int from, int to, byte[] bytes) {
            int i = from;
            while (i < to && bytes[i] >= 0) {
                i++;
            }
            if (i == to) {
                return true;
            }
            try {
                java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes, i, to - i));
                return true;
            } catch (java.nio.charset.CharacterCodingException e) {
                return false;
            }
        }
    }

    /** Writes the kept bytes as they are. */
    static final class Writer extends JsonSerializer<RawJson> {
        @Override
        public void serialize(RawJson value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeRawValue(new Utf8(value.utf8));
        }
    }

    /** The bytes as a SerializableString, so that Jackson's UTF-8 generator copies them without conversion. */
    private record Utf8(byte[] bytes) implements SerializableString {
        @Override
        public String getValue() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public int charLength() {
            return getValue().length();
        }

        @Override
        public char[] asQuotedChars() {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return bytes;
        }

        @Override
        public byte[] asQuotedUTF8() {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            if (offset + bytes.length > buffer.length) {
                return -1;
            }
            System.arraycopy(bytes, 0, buffer, offset, bytes.length);
            return bytes.length;
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            String s = getValue();
            if (offset + s.length() > buffer.length) {
                return -1;
            }
            s.getChars(0, s.length(), buffer, offset);
            return s.length();
        }

        @Override
        public int writeQuotedUTF8(OutputStream out) {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public int writeUnquotedUTF8(OutputStream out) throws IOException {
            out.write(bytes);
            return bytes.length;
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) {
            throw new UnsupportedOperationException("raw JSON is written unquoted");
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer out) {
            if (out.remaining() < bytes.length) {
                return -1;
            }
            out.put(bytes);
            return bytes.length;
        }
    }
}
