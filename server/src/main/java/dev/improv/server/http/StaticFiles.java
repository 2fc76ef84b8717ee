package dev.improv.server.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The web client's files, read once from the class path folder {@code web/} (the web-client jar) into memory.
 * Lookups are then lock-free map reads, safe on I/O threads.
 */
public final class StaticFiles {
    /** One file: its bytes and content type. */
    public record Asset(byte[] body, String contentType) {
    }

    private final Map<String, Asset> assets;

    private StaticFiles(Map<String, Asset> assets) {
        this.assets = Map.copyOf(assets);
    }

    /** Loads everything under the class path folder {@code root}; an absent folder gives an empty set. */
    public static StaticFiles load(String root) {
        URL marker = StaticFiles.class.getClassLoader().getResource(root + "/index.html");
        if (marker == null) {
            return new StaticFiles(Map.of());
        }
        try {
            URI uri = marker.toURI();
            if ("jar".equals(uri.getScheme())) {
                // A file system of its own, opened from the jar's path: the URI form registers one per jar for the
                // whole JVM, and a second server starting at the same moment (tests, an embedding program) failed
                // with FileSystemAlreadyExistsException.
                String spec = uri.getRawSchemeSpecificPart();
                Path jar = Path.of(new URI(spec.substring(0, spec.indexOf("!/"))));
                try (FileSystem fs = FileSystems.newFileSystem(jar, Map.of())) {
                    return new StaticFiles(readTree(fs.getPath("/" + root)));
                }
            }
            return new StaticFiles(readTree(Path.of(uri).getParent()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web client from the class path", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Asset> readTree(Path dir) throws IOException {
        Map<String, Asset> out = new HashMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String rel = "/" + dir.relativize(f).toString().replace('\\', '/');
                out.put(rel, new Asset(Files.readAllBytes(f), contentType(rel)));
            }
        }
        return out;
    }

    /** The file for a request path; "/" means "/index.html". */
    public Asset get(String path) {
        return assets.get("/".equals(path) ? "/index.html" : path);
    }

    /** One GET route per file (and {@code /} for the index), public: the pages, their scripts and styles. */
    public java.util.List<Route> routes() {
        java.util.List<Route> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Asset> e : new java.util.TreeMap<>(assets).entrySet()) {
            out.add(route(e.getKey(), e.getValue()));
        }
        Asset index = assets.get("/index.html");
        if (index != null) {
            out.add(route("/", index));
        }
        return out;
    }

    private static Route route(String path, Asset asset) {
        return Route.get(path, Route.Access.PUBLIC, ex -> ex.bytes(io.netty.handler.codec.http.HttpResponseStatus.OK,
                asset.contentType(), asset.body()));
    }

    public int size() {
        return assets.size();
    }

    static String contentType(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (p.endsWith(".js") || p.endsWith(".mjs")) {
            return "text/javascript; charset=utf-8";
        } else if (p.endsWith(".css")) {
            return "text/css; charset=utf-8";
        } else if (p.endsWith(".json")) {
            return "application/json; charset=utf-8";
        } else if (p.endsWith(".svg")) {
            return "image/svg+xml";
        } else if (p.endsWith(".png")) {
            return "image/png";
        } else if (p.endsWith(".ico")) {
            return "image/x-icon";
        }
        return "application/octet-stream";
    }
}
