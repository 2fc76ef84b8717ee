package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The CLI's way to the admin API: one server URL, the admin key (from a file or the environment, never from
 * the command line's arguments and never printed), JSON in and out, and every failure turned into a
 * {@link CliFailure} with an exit code and a sentence a person can act on.
 */
final class AdminClient {
    private final URI base;
    private final String key;
    /** Where the key came from, for messages (never the key). */
    private final String keySource;
    private final HttpClient http;
    private final Duration timeout;

    AdminClient(URI base, String key, String keySource, Duration timeout) {
        this.base = base;
        this.key = key;
        this.keySource = keySource;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Builds a client from the connection options; refuses plain HTTP to a host off this machine. */
    static AdminClient from(ConnectionOptions options) {
        URI base;
        try {
            base = URI.create(options.server.endsWith("/") ? options.server.substring(0, options.server.length() - 1)
                    : options.server);
        } catch (IllegalArgumentException e) {
            throw new CliFailure(CliFailure.USAGE, "--server '" + options.server + "' is not a URL: " + e.getMessage());
        }
        if (base.getHost() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new CliFailure(CliFailure.USAGE, "--server must be http://host:port or https://host:port, not '"
                    + options.server + "'");
        }
        if (base.getScheme().equals("http") && !isLoopback(base.getHost())) {
            throw new CliFailure(CliFailure.USAGE, "refusing to send the admin key in clear text to " + base.getHost()
                    + ": use https://, or run the CLI on the server's machine (http://127.0.0.1:<admin port>)");
        }
        String[] key = options.adminKey();
        return new AdminClient(base, key[0], key[1], Duration.ofSeconds(options.timeoutSeconds));
    }

    private static boolean isLoopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            // literal addresses only: no name lookup, so no traffic leaves the machine to decide
            return (h.matches("[0-9.]+") || h.contains(":")) && InetAddress.getByName(h).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    URI base() {
        return base;
    }

    JsonNode get(String path) {
        return json(send("GET", path, null));
    }

    JsonNode post(String path, Object body) {
        return json(send("POST", path, body));
    }

    JsonNode delete(String path) {
        return json(send("DELETE", path, null));
    }

    /** The raw body of a GET (the session log's JSON lines). */
    byte[] getBytes(String path) {
        return send("GET", path, null);
    }

    private byte[] send(String method, String path, Object body) {
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(ProtocolCodec.mapper().writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", "Bearer " + key).method(method, publisher);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach the server at " + base + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "): is it running, and is this its admin address? Set it with --server or IMPROV_ADMIN_URL");
        } catch (HttpTimeoutException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "the server at " + base + " did not answer " + method + " "
                    + path + " within " + timeout.toSeconds() + " s (--timeout-seconds)");
        } catch (IOException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "talking to the server at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(CliFailure.UNREACHABLE, "interrupted");
        }
        int status = response.statusCode();
        if (status / 100 == 2) {
            return response.body();
        }
        JsonNode error = parseOrNull(response.body());
        String code = error == null ? null : error.path("code").asText(null);
        String message = error == null ? new String(response.body(), StandardCharsets.UTF_8)
                : error.path("message").asText("");
        if (status == 401) {
            throw new CliFailure(CliFailure.NOT_AUTHORIZED, "the server at " + base + " refused the admin key "
                    + keySource + " (401): use the key the server prints the place of at start "
                    + "(<data-dir>/admin-key, --admin-key-file or IMPROV_ADMIN_KEY)");
        }
        if (status == 404 && code != null && code.endsWith("_NOT_FOUND") && !code.equals("NOT_FOUND")) {
            throw new CliFailure(CliFailure.NOT_FOUND, message + " (" + code + ")");
        }
        if (status == 404) {
            throw new CliFailure(CliFailure.REFUSED, method + " " + path + ": the server at " + base
                    + " has no such route (404) — is this the admin address? With --admin-port the admin API "
                    + "is on its own port");
        }
        String field = error == null ? null : error.path("field").asText(null);
        throw new CliFailure(CliFailure.REFUSED, "refused (" + status + (code == null ? "" : " " + code) + "): "
                + message + (field == null ? "" : " [field: " + field + "]"));
    }

    private static JsonNode json(byte[] body) {
        JsonNode node = parseOrNull(body);
        if (node == null) {
            throw new CliFailure(CliFailure.REFUSED, "the server answered something that is not JSON");
        }
        return node;
    }

    private static JsonNode parseOrNull(byte[] body) {
        try {
            return body.length == 0 ? null : ProtocolCodec.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads an admin key file; the message names the file, never what is in it. */
    static String readKeyFile(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new CliFailure(CliFailure.USAGE, "no admin key file at " + file + ": pass --admin-key-file "
                        + "(the server's <data-dir>/admin-key) or set IMPROV_ADMIN_KEY");
            }
            String key = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (key.isEmpty()) {
                throw new CliFailure(CliFailure.USAGE, "the admin key file " + file + " is empty");
            }
            return key;
        } catch (IOException e) {
            throw new CliFailure(CliFailure.USAGE, "cannot read the admin key file " + file + ": " + e.getMessage());
        }
    }
}
