package dev.improv.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.app.ServerApp;
import dev.improv.server.http.OpenApiDocument;
import dev.improv.server.http.RouteTable;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real server on a random loopback port with its own data directory, for end-to-end tests. */
public final class TestServer implements AutoCloseable {
    private final ServerApp server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile RouteTable routes;

    private TestServer(ServerApp server) {
        this.server = server;
    }

    /** Starts without the session log, default flags plus {@code extraArgs} (e.g. "--max-messages-per-second", "5"). */
    public static TestServer start(Path dataDir, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--no-session-log"));
        args.addAll(List.of(extraArgs));
        return startWith(dataDir, args);
    }

    /** Starts with the session log on (the production features), default flags plus {@code extraArgs}. */
    public static TestServer startWithLog(Path dataDir, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(extraArgs));
        args.add("--session-log");
        return startWith(dataDir, args);
    }

    /** Starts with the session log on {@code storage} (e.g. a disk that fails on demand). */
    public static TestServer startWithLog(Path dataDir, dev.improv.server.eventlog.WalStorage storage,
                                          String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(extraArgs));
        args.add("--session-log");
        return startWith(dataDir, args, storage);
    }

    private static TestServer startWith(Path dataDir, List<String> extraArgs) throws Exception {
        return startWith(dataDir, extraArgs, null);
    }

    private static TestServer startWith(Path dataDir, List<String> extraArgs,
                                        dev.improv.server.eventlog.WalStorage storage) throws Exception {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--data-dir",
                dataDir.toString(), "--admin-key", "test-admin-key", "--shutdown-grace-ms", "2000"));
        args.addAll(extraArgs);
        ServerConfig config = ServerCommand.parse(args.toArray(String[]::new)).toConfig();
        return new TestServer(ServerApp.start(config, storage));
    }

    public ServerApp server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String httpBase() {
        return "http://127.0.0.1:" + port();
    }

    public String wsUrl(String roomId, String token) {
        return "ws://127.0.0.1:" + port() + "/ws/rooms/" + roomId + "?token=" + token;
    }

    /** POST /api/rooms with the admin key; returns the parsed response body. */
    public JsonNode createRoom(String jsonBody) throws IOException, InterruptedException {
        HttpResponse<String> r = admin("POST", "/api/rooms", jsonBody);
        if (r.statusCode() != 201) {
            throw new IllegalStateException("room not created: " + r.statusCode() + " " + r.body());
        }
        return ProtocolCodec.mapper().readTree(r.body());
    }

    public HttpResponse<String> admin(String method, String path, String body) throws IOException, InterruptedException {
        return request(method, path, body, "test-admin-key");
    }

    public HttpResponse<String> request(String method, String path, String body, String adminKey)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(httpBase() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (adminKey != null) {
            b.header("Authorization", "Bearer " + adminKey);
        }
        HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        checkContract(method, path, response);
        return response;
    }

    /** A request with a body of bytes of {@code contentType} (no admin key), checked against the contract. */
    public HttpResponse<String> requestBytes(String method, String path, byte[] body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(httpBase() + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", contentType);
        HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        checkContract(method, path, response);
        return response;
    }

    /**
     * Every answer of a route the OpenAPI document describes is checked against the committed docs/openapi.json:
     * an end-to-end test that gets an undocumented route, status or body fails here, naming it.
     */
    private void checkContract(String method, String path, HttpResponse<String> response) {
        if (routes == null) {
            routes = RouteTable.of(server.routes(), r -> true, next -> next);
        }
        String rawPath = URI.create(httpBase() + path).getRawPath();
        if (routes.match(HttpMethod.valueOf(method), rawPath) instanceof RouteTable.Found found
                && OpenApiDocument.describes(found.route())) {
            OpenApiContract.committed().check(method, rawPath, response.statusCode(),
                    response.headers().firstValue("content-type").orElse(null), response.body());
        }
    }

    /** The link of the {@code index}-th participant with {@code role} in a createRoom response. */
    public static JsonNode link(JsonNode created, String role, int index) {
        int seen = 0;
        for (JsonNode l : created.path("links")) {
            if (l.path("role").asText().equals(role) && seen++ == index) {
                return l;
            }
        }
        throw new IllegalArgumentException("no link #" + index + " for " + role);
    }

    public String metrics() throws IOException, InterruptedException {
        return request("GET", "/metrics", null, null).body();
    }

    @Override
    public void close() {
        server.close();
    }
}
