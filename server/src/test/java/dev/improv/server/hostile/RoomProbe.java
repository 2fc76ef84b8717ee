package dev.improv.server.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A legitimate room under attack: a moderator pushes prompts at a steady pace and a performer receives them;
 * each prompt's latency is measured from just before the moderator's send to the performer's arrival, with
 * real sockets. Used by every hostile-client test to show that the room kept working.
 */
final class RoomProbe implements AutoCloseable {
    /** One client for every request of the probes, so that polling /metrics does not open a connection each time. */
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final TestClient moderator;
    private final TestClient performer;
    private final List<TestClient> others = new ArrayList<>();
    private final JsonNode room;
    private final String wsBase;
    private int next;

    private RoomProbe(String wsBase, JsonNode room, TestClient moderator, TestClient performer) {
        this.wsBase = wsBase;
        this.room = room;
        this.moderator = moderator;
        this.performer = performer;
    }

    /** Creates a room through the admin API at {@code httpBase} and joins a moderator and a performer. */
    static RoomProbe open(int port, String adminKey, String body) throws Exception {
        JsonNode room = create(port, adminKey, body);
        String wsBase = "ws://127.0.0.1:" + port;
        TestClient mod = TestClient.join(urlOf(wsBase, room, "moderator", 0));
        TestClient perf = TestClient.join(urlOf(wsBase, room, "performer", 0));
        return new RoomProbe(wsBase, room, mod, perf);
    }

    /** Creates a room through the admin API ({@code body}: POST /api/rooms); the answer with its links. */
    static JsonNode create(int port, String adminKey, String body) throws Exception {
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/rooms")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + adminKey).POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("room not created: " + created.statusCode() + " " + created.body());
        }
        return ProtocolCodec.mapper().readTree(created.body());
    }

    /** The path and query a member of {@code room} opens its WebSocket with. */
    static String pathOf(JsonNode room, String role, int index) {
        return "/ws/rooms/" + room.path("room").path("id").asText() + "?token="
                + TestServer.link(room, role, index).path("token").asText();
    }

    static String urlOf(String wsBase, JsonNode room, String role, int index) {
        return wsBase + "/ws/rooms/" + room.path("room").path("id").asText() + "?token="
                + TestServer.link(room, role, index).path("token").asText();
    }

    String url(String role, int index) {
        return urlOf(wsBase, room, role, index);
    }

    String token(String role, int index) {
        return TestServer.link(room, role, index).path("token").asText();
    }

    String roomId() {
        return room.path("room").path("id").asText();
    }

    String sessionId() {
        return room.path("room").path("sessionId").asText();
    }

    JsonNode room() {
        return room;
    }

    TestClient moderator() {
        return moderator;
    }

    TestClient performer() {
        return performer;
    }

    /** Joins another member (closed with the probe). */
    TestClient join(String role, int index) {
        TestClient c = TestClient.join(url(role, index));
        others.add(c);
        return c;
    }

    /** A prompt that did not arrive within the probe's 10 s wait, as {@link #promptOrMissed} records it. */
    static final double MISSED_MS = 10_000;

    /** {@link #promptLatencyMs}, or {@link #MISSED_MS} when the prompt did not arrive in 10 s (a stalled room). */
    double promptOrMissed() {
        try {
            return promptLatencyMs();
        } catch (RuntimeException timedOut) {
            return MISSED_MS;
        }
    }

    /** One prompt, moderator to performer: its latency in milliseconds. Fails after 10 s without it. */
    double promptLatencyMs() {
        String text = "probe " + (next++) + " " + System.nanoTime();
        long sent = System.nanoTime();
        moderator.send("{\"type\":\"prompt\",\"text\":\"" + text + "\"}");
        long arrived = performer.awaitArrival(m -> m.path("type").asText().equals("prompt")
                && m.path("text").asText().equals(text), "prompt '" + text + "'");
        return (arrived - sent) / 1e6;
    }

    /**
     * {@code count} prompts, one every {@code everyMs} after the previous one arrived; the latencies, in order.
     * (A sample takes longer than its latency: the client's await polls, so count, not time, sets the sample size.)
     */
    List<Double> prompts(int count, long everyMs) throws InterruptedException {
        List<Double> latencies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            latencies.add(promptLatencyMs());
            Thread.sleep(everyMs);
        }
        return latencies;
    }

    /** Prompts every {@code everyMs} for {@code forMs}; the latencies, in order. */
    List<Double> promptsFor(long forMs, long everyMs) throws InterruptedException {
        List<Double> latencies = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(forMs);
        while (System.nanoTime() < end && latencies.size() < 10_000) {
            latencies.add(promptLatencyMs());
            Thread.sleep(everyMs);
        }
        return latencies;
    }

    /** Whether the probe's members are still connected, or how they were closed: for failure messages. */
    String members() {
        return "moderator " + moderator.state() + ", performer " + performer.state();
    }

    /**
     * GET {@code path} on a connection of its own that is closed after the answer: for counting connections, where
     * the shared client's pooled keep-alive connections would count themselves.
     */
    static String getOnce(int port, String path) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int body = answer.indexOf("\r\n\r\n");
            return body < 0 ? answer : answer.substring(body + 4);
        }
    }

    /** GET {@code path} on the server; the body (any status). */
    static String get(int port, String path) throws Exception {
        return get(port, path, 30);
    }

    /** The same, failing (HttpTimeoutException) when no answer came within {@code timeoutSeconds}. */
    static String get(int port, String path, int timeoutSeconds) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(timeoutSeconds)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static String summary(List<Double> latencies) {
        return String.format("n=%d p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms (loadavg %s)", latencies.size(),
                percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99),
                percentile(latencies, 100), loadavg());
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    @Override
    public void close() {
        others.forEach(TestClient::close);
        moderator.close();
        performer.close();
    }
}
