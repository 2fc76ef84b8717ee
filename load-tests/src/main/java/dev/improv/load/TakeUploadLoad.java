package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Issue 17's "upload throughput and server CPU for 20 simultaneous performers uploading 48 kHz PCM", with the
 * server in its own process (so its CPU is the whole process from /proc: Netty, the takes thread, GC and the JIT,
 * and none of the load generator's): one room, N performers (default 20) who agreed on the stage, a scene started
 * by a moderator; each performer PUTs a 0.5 s chunk of 48 kHz 16-bit mono PCM (48,000 bytes, as the page cuts them)
 * every 500 ms for {@code --seconds} (paced: the live rate), then as fast as the server confirms for half that
 * (back to back: the ceiling). Each chunk is confirmed only once fsync'ed. Prints chunks/s, MB/s, confirm latency
 * p50/p99/max, the server's CPU (% of one core, ms per chunk, the JIT's part apart) and /proc/loadavg. Bounded:
 * at most 600 s and 200 performers; stops the server it started (SIGTERM, by its process).
 * <pre>
 * mvn -B -q -o -pl load-tests -am package -DskipTests
 * java -cp load-tests/target/improv-load.jar dev.improv.load.TakeUploadLoad --performers 20 --seconds 20
 * </pre>
 */
public final class TakeUploadLoad {
    private static final String ADMIN_KEY = "take-upload-load-admin-key";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final int CHUNK_BYTES = 48_000;
    private static final int CHUNK_SAMPLES = CHUNK_BYTES / 2;

    private TakeUploadLoad() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        int performers = Math.min(200, args.integer("performers", 20));
        int seconds = Math.min(600, args.integer("seconds", 20));
        if (!args.unused().isEmpty()) {
            throw new IllegalArgumentException("unknown flags: " + args.unused());
        }
        Path data = Files.createTempDirectory("improv-take-load-" + ProcessHandle.current().pid() + "-");
        int port = freePort();
        Process server = startServer(data, port, performers);
        try {
            awaitHealthy(server, port);
            String base = "http://127.0.0.1:" + port;
            JsonNode created = Measure.JSON.readTree(send(HttpRequest.newBuilder(URI.create(base + "/api/rooms"))
                    .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"performers\":" + performers + ",\"moderators\":1}"))
                    .build(), 201));
            String roomId = created.path("room").path("id").asText();
            List<String[]> who = new ArrayList<>();
            String moderator = null;
            for (JsonNode l : created.path("links")) {
                if (l.path("role").asText().equals("performer")) {
                    String token = l.path("token").asText();
                    send(HttpRequest.newBuilder(URI.create(base + "/api/stage/consent?token=" + token))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"version\":1,\"agree\":true}")).build(), 200);
                    who.add(new String[] {token, l.path("participantId").asText()});
                } else if (l.path("role").asText().equals("moderator")) {
                    moderator = l.path("token").asText();
                }
            }
            WebSocket mo = sceneStart(port, roomId, moderator);
            String take = roomId + "-1";
            byte[] pcm = new byte[CHUNK_BYTES];
            new Random(7).nextBytes(pcm);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pcm));
            int[] next = new int[who.size()];
            System.out.printf("server pid %d, %d performers, data %s, %d CPUs%n", server.pid(), who.size(), data,
                    Runtime.getRuntime().availableProcessors());
            System.out.println(run("paced (a chunk per performer per 500 ms)", base, server.pid(), who, take, pcm, sha,
                    next, seconds, true));
            System.out.println(run("back to back", base, server.pid(), who, take, pcm, sha, next,
                    Math.max(2, seconds / 2), false));
            mo.sendText("{\"type\":\"scene_end\"}", true).get(10, TimeUnit.SECONDS);
            mo.abort();
        } finally {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            try (var files = Files.walk(data)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String run(String name, String base, long serverPid, List<String[]> who, String take, byte[] pcm,
                              String sha, int[] next, int seconds, boolean paced) throws Exception {
        Histogram latency = new Histogram(60_000_000L, 3);
        double cpu0 = ProcStats.cpuSeconds(serverPid);
        double jit0 = ProcStats.jitCpuSeconds(serverPid);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(who.size());
        List<Future<Integer>> done = new ArrayList<>();
        for (int p = 0; p < who.size(); p++) {
            int performer = p;
            done.add(pool.submit(() -> {
                int sent = 0;
                long due = System.nanoTime();
                while (System.nanoTime() < end) {
                    int index = next[performer]++;
                    String[] w = who.get(performer);
                    HttpRequest put = HttpRequest.newBuilder(URI.create(base + "/api/takes/" + take + "/tracks/" + w[1]
                                    + "/chunks/" + index + "?token=" + w[0] + "&sha256=" + sha + "&sample="
                                    + (long) index * CHUNK_SAMPLES + "&clientUs=" + System.currentTimeMillis() * 1000
                                    + "&offsetUs=0&rttUs=500&capture=processor&recorded=" + (index + 1L) * CHUNK_SAMPLES))
                            .header("Content-Type", "application/octet-stream").timeout(Duration.ofSeconds(30))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(pcm)).build();
                    long t0 = System.nanoTime();
                    send(put, 201);
                    synchronized (latency) {
                        latency.recordValue((System.nanoTime() - t0) / 1000);
                    }
                    sent++;
                    if (paced) {
                        due += 500_000_000L;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                }
                return sent;
            }));
        }
        int chunks = 0;
        for (Future<Integer> f : done) {
            chunks += f.get();
        }
        pool.shutdown();
        double wall = (System.nanoTime() - start) / 1e9;
        double cpu = ProcStats.cpuSeconds(serverPid) - cpu0;
        double jit = ProcStats.jitCpuSeconds(serverPid) - jit0;
        return String.format("%s: %d chunks in %.1f s = %.1f chunks/s (%.2f MB/s of PCM, %.0f s of audio per s); "
                        + "confirm latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; server process CPU %.2f s = %.0f%% of "
                        + "one core (JIT %.0f%%), %.2f ms per chunk; loadavg %s", name, chunks, wall, chunks / wall,
                chunks * (double) pcm.length / wall / 1e6, chunks * 0.5 / wall, latency.getValueAtPercentile(50) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0, cpu, 100 * cpu / wall,
                100 * jit / wall, 1000 * cpu / chunks, ProcStats.loadAverage());
    }

    private static String send(HttpRequest request, int expected) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(request.method() + " " + request.uri().getPath() + ": " + r.statusCode()
                    + " " + r.body());
        }
        return r.body();
    }

    /** The moderator joins and starts the scene; returns once the room says it started. */
    private static WebSocket sceneStart(int port, String roomId, String token) throws Exception {
        CompletableFuture<Void> started = new CompletableFuture<>();
        URI uri = URI.create("ws://127.0.0.1:" + port + "/ws/rooms/" + roomId + "?token=" + token);
        WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri,
                new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence chars, boolean last) {
                        text.append(chars);
                        if (last) {
                            try {
                                String type = Measure.JSON.readTree(text.toString()).path("type").asText();
                                if (type.equals("welcome")) {
                                    w.sendText("{\"type\":\"scene_start\"}", true);
                                } else if (type.equals("scene_started")) {
                                    started.complete(null);
                                }
                            } catch (IOException e) {
                                started.completeExceptionally(e);
                            }
                            text.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS);
        started.get(30, TimeUnit.SECONDS);
        return ws;
    }

    private static Process startServer(Path data, int port, int performers) throws IOException {
        return ServerProcess.start("1g", List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--data-dir", data.toString(), "--admin-key", ADMIN_KEY, "--max-members-per-room",
                Integer.toString(performers + 2), "--max-performers", Integer.toString(performers)),
                line -> line.contains(" ERROR ") || line.contains(" WARN "));
    }

    private static void awaitHealthy(Process server, int port) throws Exception {
        ServerProcess.awaitHealthy(server, port, Duration.ofSeconds(120), 50);
    }

    private static int freePort() throws IOException {
        return ServerProcess.freePort();
    }
}
