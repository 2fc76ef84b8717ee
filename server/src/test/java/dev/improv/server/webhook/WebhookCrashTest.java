package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At least once across a crash: a receiver on 127.0.0.1 fails the first deliveries, then goes down; the server (its
 * own JVM) makes events meanwhile and is SIGKILLed with deliveries pending; the receiver comes back, the server is
 * started again on the same data directory, and every event arrives, signed, in order per room, duplicates
 * recognisable by id.
 */
@Tag("integration")
class WebhookCrashTest {
    static final String ADMIN = "webhook-crash-key";
    @TempDir
    Path dir;

    @Test
    void everyEventIsDeliveredAtLeastOnceAcrossSigkill() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 3)) {
            Path hooks = dir.resolve("webhooks.json");
            Files.writeString(hooks, "{\"endpoints\":[{\"id\":\"studio\",\"url\":\"" + receiver.url() + "\","
                    + "\"secret\":\"whsec_" + Base64.getEncoder().encodeToString(key) + "\",\"events\":[\"*\"]}]}");
            Files.setPosixFilePermissions(hooks, PosixFilePermissions.fromString("rw-------"));
            Path data = dir.resolve("data");
            Map<String, List<String>> expectedJoins = new HashMap<>(); // session -> participant ids

            Process first = start(data, hooks);
            try {
                int port = awaitPort(first);
                openRoomWithTwoMembers(port, expectedJoins);
                // the first three attempts failed (503) and were retried: this room's events arrive
                Awaitility.await().atMost(30, TimeUnit.SECONDS).alias("first room's events")
                        .until(() -> receiver.received().size() >= 3 || stats(receiver, port));

                receiver.goDown();
                openRoomWithTwoMembers(port, expectedJoins);
                openRoomWithTwoMembers(port, expectedJoins);
                // wait until the outbox holds them (durable before any attempt), then crash
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> pending(port) >= 6);
                first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
                assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            } finally {
                first.destroyForcibly();
            }
            assertTrue(Files.readString(data.resolve("webhooks").resolve("outbox.jsonl")).contains("\"op\":\"add\""));

            receiver.comeBack();
            Process second = start(data, hooks);
            try {
                awaitPort(second);
                Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> delivered(receiver, expectedJoins));
            } finally {
                second.destroyForcibly();
            }

            assertEquals(0, receiver.badSignatures(), "every signature verifies");
            checkOrderPerRoom(receiver.received());
            System.out.printf("webhook crash test: %d events, %d requests, %d duplicates dropped by id%n",
                    receiver.received().size(), receiver.requests(), receiver.duplicates());
        }
    }

    private static Process start(Path data, Path hooks) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.improv.server.Main", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(),
                "--admin-key", ADMIN, "--webhooks", hooks.toString(), "--webhook-retry-base-ms", "50",
                "--webhook-retry-max-ms", "400", "--webhook-timeout-ms", "2000").redirectErrorStream(true).start();
    }

    private static void openRoomWithTwoMembers(int port, Map<String, List<String>> joins) throws Exception {
        HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/rooms")).header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode room = ProtocolCodec.mapper().readTree(created.body());
        String roomId = room.path("room").path("id").asText();
        List<String> ids = new ArrayList<>();
        for (String role : List.of("performer", "moderator")) {
            String token = TestServer.link(room, role, 0).path("token").asText();
            TestClient c = TestClient.join("ws://127.0.0.1:" + port + "/ws/rooms/" + roomId + "?token=" + token);
            ids.add(c.welcomeId());
            c.abort(); // the member stays in the session; the process dies later anyway
        }
        joins.put(room.path("room").path("sessionId").asText(), ids);
    }

    /** Prints what the receiver and the server saw, for a failing wait; always false. */
    private static boolean stats(WebhookReceiver receiver, int port) throws Exception {
        System.out.printf("receiver: %d requests, %d bad signatures, %d received; server pending %s%n",
                receiver.requests(), receiver.badSignatures(), receiver.received().size(), pending(port));
        return false;
    }

    private static double pending(int port) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("improv_webhook_pending\\{endpoint=\"studio\"[^}]*\\} ([0-9.]+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** Every room's room.started and both participant.joined events have arrived. */
    private static boolean delivered(WebhookReceiver receiver, Map<String, List<String>> joins) {
        List<JsonNode> got = receiver.received();
        for (Map.Entry<String, List<String>> e : joins.entrySet()) {
            String session = e.getKey();
            boolean started = got.stream().anyMatch(j -> j.path("type").asText().equals("room.started")
                    && j.path("data").path("session").asText().equals(session)
                    && j.path("id").asText().equals("evt_" + session + "_start"));
            if (!started) {
                return false;
            }
            for (String pid : e.getValue()) {
                boolean joined = got.stream().anyMatch(j -> j.path("type").asText().equals("participant.joined")
                        && j.path("data").path("session").asText().equals(session)
                        && j.path("data").path("event").path("member").path("id").asText().equals(pid));
                if (!joined) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Per session: room.started first, then room events in increasing seq (first copies, in arrival order). */
    private static void checkOrderPerRoom(List<JsonNode> received) {
        Map<String, Long> lastSeq = new HashMap<>();
        for (JsonNode j : received) {
            String session = j.path("data").path("session").asText();
            if (j.path("type").asText().equals("room.started")) {
                assertTrue(!lastSeq.containsKey(session), "room.started comes first: " + j);
                lastSeq.put(session, 0L);
            } else if (j.path("data").has("event")) {
                long seq = j.path("data").path("event").path("seq").asLong();
                Long before = lastSeq.get(session);
                assertTrue(before != null && seq > before, "in order per room: " + j + " after seq " + before);
                lastSeq.put(session, seq);
            }
        }
    }

    private static int awaitPort(Process server) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("listening on port (\\d+)");
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            StringBuilder before = new StringBuilder();
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    before.append(line).append('\n');
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("the server exited before listening; it printed:\n" + before);
        });
        int p = port.get(60, TimeUnit.SECONDS);
        Thread drain = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.contains("webhook") || line.contains("ERROR")) {
                        System.out.println("[server] " + line);
                    }
                }
            } catch (java.io.IOException ignored) {
                // process gone
            }
        }, "webhook-crash-drain");
        drain.setDaemon(true);
        drain.start();
        return p;
    }
}
