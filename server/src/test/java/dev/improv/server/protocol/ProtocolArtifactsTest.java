package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed protocol.js and JSON Schemas are exactly what the records generate. With
 * {@code -Dprotocol.regenerate=true} the test writes them instead (the command is in protocol.js's header).
 */
class ProtocolArtifactsTest {
    private static final boolean REGENERATE = Boolean.getBoolean("protocol.regenerate");

    @Test
    void committedFilesAreWhatTheRecordsGenerate() throws IOException {
        Path root = RepoFiles.root();
        if (REGENERATE) {
            deleteSchemasNotGenerated(root);
            ProtocolArtifacts.write(root);
        }
        List<String> drifted = new ArrayList<>();
        for (Map.Entry<String, String> f : ProtocolArtifacts.generate().entrySet()) {
            Path file = root.resolve(f.getKey());
            String committed = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
            if (!f.getValue().equals(committed)) {
                drifted.add(f.getKey() + (committed == null ? " (missing)" : " (differs)"));
            }
        }
        assertEquals(List.of(), drifted, "generated protocol files differ from the records; regenerate them with "
                + "the command at the top of " + ProtocolJs.PATH + " and commit the result");
        assertEquals(List.of(), schemasNotGenerated(root), "schemas of messages that no longer exist");
    }

    @Test
    void theModuleExportsWhatThePagesNeed() {
        String js = ProtocolJs.generate();
        for (String name : List.of("CLIENT_MESSAGE_TYPES", "SERVER_MESSAGE_TYPES", "ROOM_EVENT_TYPES",
                "LOBBY_MESSAGE_TYPES", "ERROR_CODES", "CLOSE_CODES", "LIMITS", "ROLES")) {
            assertTrue(js.contains("export const " + name + " = "), name);
        }
        assertTrue(js.contains("\"consent\""), "consent is a room event (the hand-kept list had lost it)");
        assertTrue(js.contains("TOKEN_INVALID: 4401,"), js);
        assertTrue(js.contains("text: {\"minLength\":1,\"maxLength\":" + ClientMessage.MAX_PROMPT_CHARS), js);
    }

    private static List<String> schemasNotGenerated(Path root) throws IOException {
        Map<String, String> generated = ProtocolArtifacts.generate();
        Path dir = root.resolve(ProtocolArtifacts.SCHEMA_DIR);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".json"))
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !generated.containsKey(p))
                    .sorted()
                    .toList();
        }
    }

    private static void deleteSchemasNotGenerated(Path root) throws IOException {
        for (String stale : schemasNotGenerated(root)) {
            Files.delete(root.resolve(stale));
        }
    }
}
