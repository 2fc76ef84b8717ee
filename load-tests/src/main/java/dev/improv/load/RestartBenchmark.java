package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Restart of a big data directory, timed on a real server process: from the process start to {@code /healthz}
 * answering 200, and to the first resumed join (a moderator's old link with {@code lastSeq}, answered with a
 * {@code welcome} that says {@code resumed}). Also the server's CPU seconds, heap after a full GC and RSS right
 * after. Builds the data directory first when it has no log: one room made through the admin API of a server
 * process (so its link is real), stopped with SIGTERM, then the log filled offline to SESSIONS open sessions of
 * EVENTS events each, interleaved as live rooms write them. Every run stops the server with SIGTERM (a clean stop,
 * which writes a checkpoint at the end); {@code --checkpoint none} removes the checkpoint before each start, as a
 * data directory from before checkpoints (or one whose checkpoint is torn or stale) has none.
 * <pre>
 * java -cp load-tests/target/improv-load.jar dev.improv.load.RestartBenchmark --data /tmp/restart-data \
 *      --sessions 1000 --events 1000 --runs 3 --heap 1g [--checkpoint none]
 * </pre>
 * Every process it starts it stops by PID; traffic only to 127.0.0.1; every wait is bounded.
 */
public final class RestartBenchmark {
    private static final String ADMIN_KEY = "restart-bench-admin-key";
    private static final Duration WAIT = Duration.ofSeconds(600);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private RestartBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        Path data = Path.of(args.get("data", "/tmp/improv-restart-bench"));
        int sessions = args.integer("sessions", 1000);
        int events = args.integer("events", 1000);
        int runs = args.integer("runs", 3);
        String heap = args.get("heap", "1g");
        boolean withCheckpoint = !args.get("checkpoint", "keep").equals("none");
        if (!args.unused().isEmpty()) {
            throw new IllegalArgumentException("unknown flags: " + args.unused());
        }
        Path linkFile = data.resolve("bench-link.json");
        if (!Files.exists(linkFile)) {
            build(data, sessions, events, heap, linkFile);
        }
        JsonNode link = Measure.JSON.readTree(linkFile.toFile());
        System.out.printf("data dir %s (%d MB of log), runs %d, -Xmx%s, checkpoint %s%n", data,
                logBytes(data) >> 20, runs, heap, withCheckpoint ? "as the last clean stop left it" : "removed");
        for (int run = 1; run <= runs; run++) {
            if (!withCheckpoint) {
                Files.deleteIfExists(data.resolve("wal").resolve("checkpoint"));
            }
            run(run, data, heap, link);
        }
    }

    private static void run(int run, Path data, String heap, JsonNode link) throws Exception {
        String loadBefore = ProcStats.loadAverage();
        int port = freePort();
        long t0 = System.nanoTime();
        Process server = startServer(data, heap, port);
        try {
            long healthy = awaitHealthy(server, port);
            double cpu = ProcStats.cpuSeconds(server.pid());
            long joined = resumedJoin(port, link);
            long rss = ProcStats.rssBytes(server.pid());
            long heapAfterGc = ProcStats.heapUsedAfterGc(server.pid());
            System.out.printf("run %d: /healthz OK after %d ms, first resumed join after %d ms; server CPU %.1f s "
                            + "until healthy; heap after GC %d MiB, RSS %d MiB; /proc/loadavg before %s, after %s%n",
                    run, (healthy - t0) / 1_000_000, (joined - t0) / 1_000_000, cpu, heapAfterGc >> 20, rss >> 20,
                    loadBefore, ProcStats.loadAverage());
        } finally {
            stop(server);
        }
    }

    /** One real room (its link from the admin API), then the log filled offline. */
    private static void build(Path data, int sessions, int events, String heap, Path linkFile) throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(data);
        int port = freePort();
        Process server = startServer(data, heap, port);
        JsonNode created;
        String token;
        try {
            awaitHealthy(server, port);
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/rooms")).header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201 && r.statusCode() != 200) {
                throw new IllegalStateException("POST /api/rooms answered " + r.statusCode() + ": " + r.body());
            }
            created = Measure.JSON.readTree(r.body());
            token = moderatorToken(created);
            // the moderator joins once, so that the old link resumes after the restarts
            join(port, created.path("room").path("id").asText(), token, null);
        } finally {
            stop(server);
        }
        String roomId = created.path("room").path("id").asText();
        String sessionId = created.path("room").path("sessionId").asText();
        RoomLimits limits = new RoomLimits(64, Map.of(), 30_000, 4096);
        long[] lastSeen = new long[1];
        CountDownLatch written = new CountDownLatch(sessions);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(data, FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 50),
                new ServerMetrics())) {
            List<RecoveredRoom> rooms = log.takeRecovered().rooms();
            long first = rooms.stream().filter(x -> x.sessionId().equals(sessionId)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the room made through the API is not in the log"))
                    .reservedSeq();
            List<SessionJournal.JournalSession> open = new ArrayList<>();
            List<Long> base = new ArrayList<>();
            open.add(log.resume(roomId, sessionId, seq -> {
                if (seq == first + events) {
                    written.countDown();
                }
            }));
            base.add(first);
            lastSeen[0] = first + events - 10; // the moderator saw all but the last ten
            for (int s = 1; s < sessions; s++) {
                String id = String.format("20261202T000000Z-bench%05d-abcd", s);
                open.add(log.open(new SessionMeta(id, "bench" + s, "Bench " + s, 1_700_000_000_000_000L, null, 1,
                        "bench", List.of(), List.of()), limits, seq -> {
                            if (seq == events) {
                                written.countDown();
                            }
                        }));
                base.add(0L);
            }
            for (int e = 1; e <= events; e++) {
                for (int s = 0; s < sessions; s++) {
                    long seq = base.get(s) + e;
                    open.get(s).append(seq, event(seq, e), e > 2 ? "m-" + s : null, e > 2 ? "c" + e : null);
                }
                if (e % 20 == 0) {
                    Thread.sleep(20); // let the writer drain
                }
            }
            if (!written.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the log did not take the events in time");
            }
        }
        Measure.JSON.writeValue(linkFile.toFile(), Map.of("roomId", roomId, "sessionId", sessionId, "token", token,
                "lastSeq", Long.toString(lastSeen[0])));
        System.out.printf("built %s: %d sessions x %d events, %d MB of log, in %d s%n", data, sessions, events,
                logBytes(data) >> 20, (System.nanoTime() - t0) / 1_000_000_000);
    }

    private static byte[] event(long seq, int nth) {
        String json;
        if (nth == 1) {
            json = "{\"type\":\"member_joined\",\"seq\":" + seq + ",\"ts\":" + (1_700_000_000_000_000L + seq)
                    + ",\"actor\":\"m-x\",\"member\":{\"id\":\"m-x\",\"name\":\"Mo\",\"role\":\""
                    + Role.MODERATOR.wireName() + "\",\"connected\":true,\"muted\":false}}";
        } else if (nth == 2) {
            json = "{\"type\":\"member_joined\",\"seq\":" + seq + ",\"ts\":" + (1_700_000_000_000_000L + seq)
                    + ",\"actor\":\"p-x\",\"member\":{\"id\":\"p-x\",\"name\":\"Ana\",\"role\":\"performer\","
                    + "\"connected\":true,\"muted\":false}}";
        } else {
            json = "{\"type\":\"prompt\",\"seq\":" + seq + ",\"ts\":" + (1_700_000_000_000_000L + seq * 1000)
                    + ",\"actor\":\"m-x\",\"text\":\"A lighthouse keeper finds a message in a bottle, take " + seq
                    + "\",\"scene\":0}";
        }
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static Process startServer(Path data, String heap, int port) throws IOException {
        return ServerProcess.start(heap, List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--data-dir", data.toString(), "--admin-key", ADMIN_KEY, "--fsync", "BATCH", "--resume-window-ms",
                "600000"), line -> line.contains("write-ahead log") && !line.contains("DEBUG"));
    }

    /** Polls /healthz every 20 ms until it answers 200; returns System.nanoTime() of that answer. */
    private static long awaitHealthy(Process server, int port) throws Exception {
        return ServerProcess.awaitHealthy(server, port, WAIT, 20);
    }

    private static String moderatorToken(JsonNode created) {
        for (JsonNode l : created.path("links")) {
            if (l.path("role").asText().equals("moderator")) {
                return l.path("token").asText();
            }
        }
        throw new IllegalStateException("no moderator link in " + created);
    }

    /** The moderator's old link with lastSeq: returns System.nanoTime() of a welcome that says resumed. */
    private static long resumedJoin(int port, JsonNode link) throws Exception {
        return join(port, link.path("roomId").asText(), link.path("token").asText(), link.path("lastSeq").asText());
    }

    /**
     * Joins with {@code token} ({@code lastSeq} when given, and then the welcome must say resumed); returns
     * System.nanoTime() of the welcome.
     */
    private static long join(int port, String roomId, String token, String lastSeq) throws Exception {
        CompletableFuture<Long> welcome = new CompletableFuture<>();
        URI uri = URI.create("ws://127.0.0.1:" + port + "/ws/rooms/" + roomId + "?token=" + token
                + (lastSeq == null ? "" : "&lastSeq=" + lastSeq));
        WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri,
                new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            try {
                                JsonNode m = Measure.JSON.readTree(text.toString());
                                if (m.path("type").asText().equals("welcome")) {
                                    if (lastSeq == null || m.path("resumed").asBoolean()) {
                                        welcome.complete(System.nanoTime());
                                    } else {
                                        welcome.completeExceptionally(new IllegalStateException(
                                                "welcome without resume: " + m));
                                    }
                                }
                            } catch (IOException e) {
                                welcome.completeExceptionally(e);
                            }
                            text.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                        welcome.completeExceptionally(new IllegalStateException("closed " + code + " " + reason));
                        return null;
                    }
                }).get(60, TimeUnit.SECONDS);
        try {
            return welcome.get(60, TimeUnit.SECONDS);
        } finally {
            ws.abort();
        }
    }

    /** SIGTERM (a clean stop: rooms suspended, the log flushed, a checkpoint written), SIGKILL if it hangs. */
    private static void stop(Process server) throws InterruptedException {
        server.destroy();
        if (!server.waitFor(120, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            server.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        return ServerProcess.freePort();
    }

    private static long logBytes(Path data) throws IOException {
        Path wal = data.resolve("wal");
        if (!Files.isDirectory(wal)) {
            return 0;
        }
        try (var files = Files.list(wal)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".wal")).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
