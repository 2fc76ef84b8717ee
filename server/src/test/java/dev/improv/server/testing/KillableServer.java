package dev.improv.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server in a JVM of its own (same class path as the tests), on a data directory, so that a test can kill it
 * for real ({@link #kill}: SIGKILL, {@link #terminate}: SIGTERM) and start it again on the same directory.
 */
public final class KillableServer implements AutoCloseable {
    public static final String ADMIN_KEY = "process-admin-key";
    private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

    private final Process process;
    private final int port;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private KillableServer(Process process) throws Exception {
        this.process = process;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<Integer> found = new CompletableFuture<>();
        Thread drain = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    output.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        found.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            found.completeExceptionally(new IllegalStateException("the server exited before listening; its last "
                    + "lines: " + String.join("\n", output.subList(Math.max(0, output.size() - 15), output.size()))));
        }, "server-process-drain");
        drain.setDaemon(true);
        drain.start();
        this.port = found.get(90, TimeUnit.SECONDS);
    }

    /** Starts {@code dev.improv.server.Main} on {@code data} with the log on (fsync BATCH) and {@code extra}. */
    public static KillableServer start(Path data, String... extra) throws Exception {
        return startWithHeap(data, "256m", extra);
    }

    /** {@link #start} with a maximum heap of {@code heap} (a {@code -Xmx} value) for the server process. */
    public static KillableServer startWithHeap(Path data, String heap, String... extra) throws Exception {
        return launch(heap, List.of("-cp", System.getProperty("java.class.path"), "dev.improv.server.Main"), data,
                extra);
    }

    /** The same server started as an operator starts it: {@code java -jar jar} (what {@code mvn package} built). */
    public static KillableServer startJar(Path jar, Path data, String... extra) throws Exception {
        return launch("256m", List.of("-jar", jar.toString()), data, extra);
    }

    private static KillableServer launch(String heap, List<String> program, Path data, String... extra)
            throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only and the serial collector: a server start costs ~3 CPU-seconds instead of ~6 (C2 and the
        // parallel GC threads fight the tests for 2 shared cores). These processes prove durability, not speed.
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.addAll(program);
        cmd.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(),
                "--admin-key", ADMIN_KEY, "--max-messages-per-second", "100000", "--message-burst", "100000",
                "--fsync", "BATCH", "--shutdown-grace-ms", "3000"));
        cmd.addAll(List.of(extra));
        return new KillableServer(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** The process's exit code once it has stopped (after {@link #terminate} or {@link #kill}). */
    public int exitValue() {
        return process.exitValue();
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public String ws(String path) {
        return "ws://127.0.0.1:" + port + path;
    }

    public List<String> output() {
        return output;
    }

    /** An admin API call; its answer is checked against docs/openapi.json ({@link OpenApiContract}). */
    public HttpResponse<String> admin(String method, String path, String body) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        OpenApiContract.committed().check(method, uri.getRawPath(), response.statusCode(),
                response.headers().firstValue("content-type").orElse(null), response.body());
        return response;
    }

    /** An admin GET whose body is read as a stream (for answers too large to hold). */
    public HttpResponse<java.io.InputStream> adminStream(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(120)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    public JsonNode adminJson(String method, String path, String body) throws Exception {
        return ProtocolCodec.mapper().readTree(admin(method, path, body).body());
    }

    /** SIGKILL: no shutdown hook, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("server " + process.pid() + " did not die");
        }
    }

    /** SIGTERM: the shutdown hook runs (a clean stop). */
    public void terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("server " + process.pid() + " did not stop on SIGTERM");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
