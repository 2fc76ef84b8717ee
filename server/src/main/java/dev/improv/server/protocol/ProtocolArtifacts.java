package dev.improv.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything generated from the protocol records, as repository path to file text: the browser module
 * ({@link ProtocolJs}) and one JSON Schema per message under {@code docs/schemas/}. The files are committed;
 * ProtocolArtifactsTest fails when they differ from this. {@code main(repoRoot)} writes them.
 */
public final class ProtocolArtifacts {
    /** Repository folder of the JSON Schemas. */
    public static final String SCHEMA_DIR = "docs/schemas";

    private ProtocolArtifacts() {
    }

    /** Repository path (with '/') to the exact text the file must have. */
    public static Map<String, String> generate() {
        Map<String, String> files = new TreeMap<>();
        files.put(ProtocolJs.PATH, ProtocolJs.generate());
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n")).withoutSpacesInObjectEntries();
        for (MessageKind kind : MessageKind.values()) {
            for (String type : kind.types().keySet()) {
                try {
                    files.put(SCHEMA_DIR + "/" + JsonSchemas.path(kind, type),
                            ProtocolCodec.mapper().writer(pretty).writeValueAsString(JsonSchemas.of(kind, type)) + "\n");
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return files;
    }

    /** Writes every generated file under {@code repoRoot}. */
    public static void write(Path repoRoot) throws IOException {
        for (Map.Entry<String, String> f : generate().entrySet()) {
            Path target = repoRoot.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, f.getValue(), StandardCharsets.UTF_8);
        }
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args.length > 0 ? args[0] : "."));
    }
}
