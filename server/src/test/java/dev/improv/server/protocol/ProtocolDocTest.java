package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md against the records: every message type has an example, every example validates against the
 * committed JSON Schema of its type and direction (client examples must also be accepted by the server's
 * decoder), every schema is linked from the page, and the error table lists every code with its close code.
 * The direction of an example is the one named by the nearest heading above it ("client → server",
 * "server → client", "room event").
 */
class ProtocolDocTest {
    private static final ObjectMapper PLAIN = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    record Example(int line, boolean fromClient, JsonNode json) {
    }

    static String doc;
    static List<Example> examples;

    @BeforeAll
    static void readDoc() throws IOException {
        doc = Files.readString(RepoFiles.root().resolve("docs/protocol.md"), StandardCharsets.UTF_8);
        examples = examples(doc);
    }

    @Test
    void everyExampleValidatesAgainstItsSchema() throws IOException {
        List<String> failures = new ArrayList<>();
        for (Example e : examples) {
            String type = e.json().path("type").asText();
            MessageKind kind = kindOf(type, e.fromClient());
            if (kind == null) {
                failures.add("line " + e.line() + ": no " + (e.fromClient() ? "client" : "server") + " message '"
                        + type + "'");
                continue;
            }
            Path schemaFile = RepoFiles.root().resolve(ProtocolArtifacts.SCHEMA_DIR).resolve(JsonSchemas.path(kind, type));
            Schema schema = SCHEMAS.getSchema(Files.readString(schemaFile), InputFormat.JSON);
            List<com.networknt.schema.Error> errors = schema.validate(e.json().toString(), InputFormat.JSON);
            if (!errors.isEmpty()) {
                failures.add("line " + e.line() + " (" + type + "): " + errors);
            }
            if (e.fromClient()) {
                try {
                    byte[] bytes = e.json().toString().getBytes(StandardCharsets.UTF_8);
                    Object decoded = kind == MessageKind.ROOM_CLIENT
                            ? ProtocolCodec.decodeClient(new ByteArrayInputStream(bytes))
                            : ProtocolCodec.decodeLobby(new ByteArrayInputStream(bytes));
                    assertEquals(kind.types().get(type), decoded.getClass());
                } catch (ProtocolViolation v) {
                    failures.add("line " + e.line() + " (" + type + "): the server refuses it: " + v.getMessage());
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void everyMessageTypeHasAnExample() {
        Map<MessageKind, Set<String>> shown = new EnumMap<>(MessageKind.class);
        for (Example e : examples) {
            MessageKind kind = kindOf(e.json().path("type").asText(), e.fromClient());
            if (kind != null) {
                shown.computeIfAbsent(kind, k -> new HashSet<>()).add(e.json().path("type").asText());
            }
        }
        List<String> missing = new ArrayList<>();
        for (MessageKind kind : MessageKind.values()) {
            for (String type : kind.types().keySet()) {
                if (!shown.getOrDefault(kind, Set.of()).contains(type)) {
                    missing.add(kind.folder() + " " + type);
                }
            }
        }
        assertEquals(List.of(), missing, "message types without an example in docs/protocol.md");
    }

    @Test
    void everySchemaIsLinked() {
        List<String> unlinked = new ArrayList<>();
        for (MessageKind kind : MessageKind.values()) {
            for (String type : kind.types().keySet()) {
                if (!doc.contains("(schemas/" + JsonSchemas.path(kind, type) + ")")) {
                    unlinked.add(JsonSchemas.path(kind, type));
                }
            }
        }
        assertEquals(List.of(), unlinked, "schemas docs/protocol.md does not link to");
    }

    @Test
    void theErrorTableListsEveryCodeWithItsCloseCode() {
        Matcher row = Pattern.compile("^\\| `([A-Z0-9_]+)` \\| (–|\\d{4}) \\|", Pattern.MULTILINE).matcher(doc);
        Set<String> listed = new TreeSet<>();
        List<String> wrong = new ArrayList<>();
        while (row.find()) {
            listed.add(row.group(1));
            ErrorCode code;
            try {
                code = ErrorCode.valueOf(row.group(1));
            } catch (IllegalArgumentException e) {
                wrong.add(row.group(1) + " is not an error code");
                continue;
            }
            String close = code.closesConnection() ? String.valueOf(code.closeCode()) : "–";
            if (!close.equals(row.group(2))) {
                wrong.add(row.group(1) + ": the doc says " + row.group(2) + ", the code " + close);
            }
        }
        for (ErrorCode c : ErrorCode.values()) {
            if (!listed.contains(c.name())) {
                wrong.add(c.name() + " is missing from the table");
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void theParserFindsExamplesInEveryDirection() {
        assertTrue(examples.stream().anyMatch(Example::fromClient));
        assertTrue(examples.stream().anyMatch(e -> !e.fromClient()));
        assertTrue(examples.size() > 40, "examples found: " + examples.size());
    }

    private static MessageKind kindOf(String type, boolean fromClient) {
        MessageKind found = null;
        for (MessageKind k : MessageKind.values()) {
            if (k.fromClient() == fromClient && k.types().containsKey(type)) {
                if (found != null) {
                    fail("'" + type + "' is ambiguous within one direction: " + found + " and " + k);
                }
                found = k;
            }
        }
        return found;
    }

    /** Every JSON value inside ```json blocks, with the direction of the nearest heading above it. */
    static List<Example> examples(String markdown) throws IOException {
        List<Example> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        Boolean fromClient = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("#")) {
                String h = line.toLowerCase();
                if (h.contains("client → server")) {
                    fromClient = true;
                } else if (h.contains("server → client") || h.contains("room event")) {
                    fromClient = false;
                }
            } else if (line.startsWith("```json")) {
                int start = i + 1;
                StringBuilder block = new StringBuilder();
                for (i = start; i < lines.length && !lines[i].startsWith("```"); i++) {
                    block.append(lines[i]).append('\n');
                }
                if (fromClient == null) {
                    fail("line " + start + ": a JSON example before any heading that names its direction");
                }
                try (MappingIterator<JsonNode> values = PLAIN.readerFor(JsonNode.class).readValues(block.toString())) {
                    while (values.hasNext()) {
                        JsonNode value = values.next();
                        int at = start + (int) values.getCurrentLocation().getLineNr() - 1;
                        out.add(new Example(at, fromClient, value));
                    }
                }
            }
        }
        return out;
    }
}
