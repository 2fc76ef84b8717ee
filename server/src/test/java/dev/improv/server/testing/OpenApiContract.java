package dev.improv.server.testing;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.improv.server.http.OpenApiDocument;
import dev.improv.server.protocol.ProtocolCodec;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The committed {@code docs/openapi.json} as a contract that test clients check every admin answer against: the
 * route (method + path template) and the status must be described, and the body must validate against the
 * described schema (networknt json-schema-validator, JSON Schema 2020-12 as OpenAPI 3.1 uses it). JSON lines
 * answers are checked line by line against their {@code x-itemSchema}. {@link TestServer} calls it on every
 * answer of a described route, so every end-to-end test that talks to the admin API checks the contract.
 */
public final class OpenApiContract {
    /** The document's retrieval URI for the validator (it is never fetched: the text is given). */
    private static final String DOC_URI = "https://improv.dev/openapi.json";
    private static volatile OpenApiContract committed;

    private final JsonNode document;
    private final SchemaRegistry schemas;
    private final Map<String, Schema> cache = new ConcurrentHashMap<>();
    /** "GET /api/rooms/{id} 200": what the tests of this JVM have checked. */
    private static final Set<String> CHECKED = ConcurrentHashMap.newKeySet();

    public OpenApiContract(String documentText) {
        try {
            this.document = ProtocolCodec.mapper().readTree(documentText);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                b -> b.schemas(Map.of(DOC_URI, documentText)));
    }

    /** The committed document of this checkout. */
    public static OpenApiContract committed() {
        OpenApiContract c = committed;
        if (c == null) {
            try {
                c = new OpenApiContract(Files.readString(repoRoot().resolve(OpenApiDocument.PATH),
                        StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + OpenApiDocument.PATH, e);
            }
            committed = c;
        }
        return c;
    }

    /** What the tests of this JVM have checked so far ("GET /api/rooms 200", …). */
    public static Set<String> checked() {
        return new TreeSet<>(CHECKED);
    }

    /**
     * Checks one answer.
     *
     * @param rawPath the request path without the query
     * @throws AssertionError naming the route and what is wrong: undocumented route or status, or the
     *                        validator's messages
     */
    public void check(String method, String rawPath, int status, String contentType, String body) {
        String m = method.toLowerCase(Locale.ROOT);
        if (m.equals("head")) {
            m = "get";
        }
        String template = template(rawPath);
        if (template == null || !document.path("paths").path(template).has(m)) {
            throw new AssertionError("undocumented route: " + method + " " + rawPath + " is not in "
                    + OpenApiDocument.PATH + " (regenerate it: see the README)");
        }
        JsonNode response = document.path("paths").path(template).path(m).path("responses").path(
                Integer.toString(status));
        if (response.isMissingNode()) {
            throw new AssertionError("undocumented answer: " + method + " " + template + " answered " + status
                    + ", which " + OpenApiDocument.PATH + " does not list; body: " + clip(body));
        }
        String mime = contentType == null ? "" : contentType.split(";", 2)[0].trim();
        JsonNode content = response.path("content");
        if (!content.has(mime)) {
            throw new AssertionError(method + " " + template + " " + status + " answered " + contentType
                    + "; documented: " + content.properties().stream().map(Map.Entry::getKey).toList());
        }
        String pointer = "/paths/" + escape(template) + "/" + m + "/responses/" + status + "/content/"
                + escape(mime);
        if (mime.equals("application/json")) {
            validate(pointer + "/schema", body, method + " " + template + " " + status);
        } else if (mime.equals("application/x-ndjson")) {
            int line = 0;
            for (String l : body.split("\n")) {
                line++;
                if (!l.isBlank()) {
                    validate(pointer + "/x-itemSchema", l, method + " " + template + " " + status + " line " + line);
                }
            }
        }
        CHECKED.add(method.toUpperCase(Locale.ROOT) + " " + template + " " + status);
    }

    private void validate(String pointer, String json, String what) {
        Schema schema = cache.computeIfAbsent(pointer, p -> schemas.getSchema(SchemaLocation.of(DOC_URI + "#" + p)));
        List<com.networknt.schema.Error> errors = schema.validate(json, InputFormat.JSON);
        if (!errors.isEmpty()) {
            throw new AssertionError(what + " does not match " + OpenApiDocument.PATH + ": " + errors + "; body: "
                    + clip(json));
        }
    }

    /** The documented path template the path matches (literal segments beat parameters), or null. */
    String template(String rawPath) {
        String[] path = rawPath.split("/", -1);
        String best = null;
        int bestLiterals = -1;
        for (Iterator<String> it = document.path("paths").fieldNames(); it.hasNext(); ) {
            String t = it.next();
            String[] segments = t.split("/", -1);
            if (segments.length != path.length) {
                continue;
            }
            int literals = 0;
            boolean matches = true;
            for (int i = 0; i < segments.length && matches; i++) {
                if (segments[i].startsWith("{") && segments[i].endsWith("}")) {
                    matches = !path[i].isEmpty();
                } else if (segments[i].equals(path[i])) {
                    literals++;
                } else {
                    matches = false;
                }
            }
            if (matches && literals > bestLiterals) {
                best = t;
                bestLiterals = literals;
            }
        }
        return best;
    }

    /** The JSON pointer escape of one reference token. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private static String clip(String s) {
        return s == null ? "" : s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    /** The repository checkout the tests run in. */
    public static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docs/protocol.md")) && Files.isDirectory(p.resolve("web-client"))) {
                return p;
            }
        }
        throw new IllegalStateException("not inside the repository: " + Path.of("").toAbsolutePath());
    }

    /** All paths of the document, for tests. */
    public List<String> paths() {
        List<String> out = new ArrayList<>();
        document.path("paths").fieldNames().forEachRemaining(out::add);
        return out;
    }
}
