package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.SessionLogReader;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability promise under a real crash: a server in its own JVM is killed with SIGKILL in the middle of a
 * stream of prompts; every event acknowledged before the kill must be in the log, in order, exactly once.
 */
@Tag("integration")
class CrashDurabilityTest {
    @TempDir
    Path data;

    @Test
    void everyAcknowledgedPromptSurvivesSigkill() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.improv.server.Main", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(),
                "--admin-key", "crash-key", "--max-messages-per-second", "100000", "--message-burst", "100000",
                "--fsync", "BATCH").redirectErrorStream(true).start();
        try {
            int port = awaitPort(server);
            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/rooms"))
                    .header("Authorization", "Bearer crash-key").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode room = ProtocolCodec.mapper().readTree(created.body());
            String roomId = room.path("room").path("id").asText();
            String session = room.path("room").path("sessionId").asText();
            String token = dev.improv.server.testing.TestServer.link(room, "moderator", 0).path("token").asText();
            TestClient mod = TestClient.join("ws://127.0.0.1:" + port + "/ws/rooms/" + roomId + "?token=" + token);
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20_000 && !mod.isClosed(); i++) {
                    try {
                        mod.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                    } catch (RuntimeException e) {
                        return; // the server is gone
                    }
                }
            });
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() >= 300);
            server.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush
            assertTrue(server.waitFor(10, TimeUnit.SECONDS));
            sender.get(30, TimeUnit.SECONDS);
            Map<Long, String> acked = new HashMap<>();
            for (JsonNode ack : mod.ofType("ack")) {
                acked.put(ack.path("eventSeq").asLong(), "take " + ack.path("cid").asText().substring(1));
            }
            mod.abort();

            // After a crash the session is only in the node's write-ahead log (exported at close).
            SessionLogReader.ReadResult log = dev.improv.server.eventlog.OfflineWal.read(data, session);
            assertEquals(Set.of(), Set.copyOf(log.problems()), "nothing but a torn tail may be wrong");
            Set<String> texts = new HashSet<>();
            long expected = 1;
            for (SessionLogReader.LogEvent e : log.events()) {
                assertEquals(expected++, e.seq(), "gap-free, in order");
                if (e.type().equals("prompt")) {
                    assertTrue(texts.add(e.json().path("text").asText()), "no duplicate: " + e.json());
                }
            }
            for (Map.Entry<Long, String> a : acked.entrySet()) {
                assertTrue(a.getKey() <= log.lastSeq(), "acknowledged seq " + a.getKey() + " is in the log (last "
                        + log.lastSeq() + ")");
                assertEquals(a.getValue(), log.events().get((int) (a.getKey() - 1)).json().path("text").asText());
            }
            assertFalse(acked.isEmpty());
            System.out.printf("crash test: %d acknowledged, %d events in the log, torn tail: %s%n", acked.size(),
                    log.events().size(), log.tornTail());
        } finally {
            server.destroyForcibly();
        }
    }

    private static int awaitPort(Process server) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("listening on port (\\d+)");
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("the server exited before listening");
        });
        int p = port.get(60, TimeUnit.SECONDS);
        // keep draining its output so that it never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (java.io.IOException ignored) {
                // process gone
            }
        }, "crash-test-drain");
        drain.setDaemon(true);
        drain.start();
        return p;
    }
}
