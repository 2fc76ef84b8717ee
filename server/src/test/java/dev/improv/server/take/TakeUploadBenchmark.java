package dev.improv.server.take;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Upload throughput of local takes: N performers (default 20) of one room each PUT a 0.5 s chunk of 48 kHz PCM
 * (48,000 bytes) every 500 ms, as the stage does, for S seconds (default 20); then the same performers back to back
 * (as fast as the server confirms) for S/2 seconds. Prints chunks/s, MB/s, the confirm latency (p50/p99/max, each
 * chunk fsync'ed before its answer) and the server's CPU: the {@code takes} thread and the Netty I/O threads
 * (per-thread CPU time; the client threads of this JVM are not counted). Not a test (Surefire runs only *Test
 * classes). Run:
 * <pre>
 * mvn -B -q -o -pl server -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * CP=server/target/test-classes:server/target/classes:web-client/target/classes:$(cat server/target/cp.txt)
 * java -cp "$CP" dev.improv.server.take.TakeUploadBenchmark [performers] [seconds]
 * </pre>
 */
public final class TakeUploadBenchmark {
    private TakeUploadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int performers = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path data = Files.createTempDirectory("take-bench");
        try (TestServer server = TestServer.start(data, "--max-members-per-room", Integer.toString(performers + 2),
                "--max-performers", Integer.toString(performers), "--max-messages-per-second", "1000",
                "--message-burst", "2000")) {
            JsonNode room = server.createRoom("{\"performers\":" + performers + ",\"moderators\":1}");
            String roomId = room.path("room").path("id").asText();
            List<String[]> who = new ArrayList<>();
            for (int i = 0; i < performers; i++) {
                JsonNode link = TestServer.link(room, "performer", i);
                String token = link.path("token").asText();
                server.request("POST", "/api/stage/consent?token=" + token, "{\"version\":1,\"agree\":true}", null);
                who.add(new String[] {token, link.path("participantId").asText()});
            }
            try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                    .path("token").asText()))) {
                mo.send("{\"type\":\"scene_start\"}");
                mo.await("scene_started");
                Thread.sleep(200);
                String take = roomId + "-1";
                byte[] pcm = new byte[48_000];
                new java.util.Random(7).nextBytes(pcm);
                String sha = Takes.sha256(pcm);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                int[] next = new int[performers];
                String paced = run("paced (one chunk per performer per 500 ms)", server, http, who, take, pcm, sha,
                        next, seconds, true);
                System.out.println(paced + "\nloadavg " + Files.readString(Path.of("/proc/loadavg")).trim());
                String flat;
                try {
                    flat = run("back to back", server, http, who, take, pcm, sha, next, Math.max(2, seconds / 2),
                            false);
                } catch (java.util.concurrent.ExecutionException e) {
                    flat = "back to back: failed: " + e.getCause();
                }
                System.out.println(flat + "\nloadavg " + Files.readString(Path.of("/proc/loadavg")).trim() + ", "
                        + Runtime.getRuntime().availableProcessors() + " CPUs");
                System.out.println(server.metrics().lines().filter(l -> l.startsWith("improv_take_chunk_write"))
                        .toList());
                mo.send("{\"type\":\"scene_end\"}");
            }
        }
    }

    private static String run(String name, TestServer server, HttpClient http, List<String[]> who, String take,
                              byte[] pcm, String sha, int[] next, int seconds, boolean paced) throws Exception {
        Histogram latency = new Histogram(60_000_000L, 3);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double cpuBefore = serverCpuSeconds(threads);
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
                    HttpRequest put = HttpRequest.newBuilder(URI.create(server.httpBase() + "/api/takes/" + take
                                    + "/tracks/" + w[1] + "/chunks/" + index + "?token=" + w[0] + "&sha256=" + sha
                                    + "&sample=" + index * 24_000L + "&clientUs=" + (System.currentTimeMillis() * 1000)
                                    + "&offsetUs=0&rttUs=500"))
                            .header("Content-Type", "application/octet-stream").timeout(Duration.ofSeconds(30))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(pcm)).build();
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(put, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 201) {
                        throw new IllegalStateException("chunk refused: " + r.statusCode() + " " + r.body());
                    }
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
        double cpu = serverCpuSeconds(threads) - cpuBefore;
        return String.format("%s: %d performers, %d chunks in %.1f s = %.1f chunks/s, %.2f MB/s of PCM; confirm "
                        + "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; server CPU (takes + I/O threads) %.2f s = "
                        + "%.0f%% of one core, %.2f ms per chunk", name, who.size(), chunks, wall, chunks / wall,
                chunks * (double) pcm.length / wall / 1e6, latency.getValueAtPercentile(50) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0, cpu, 100 * cpu / wall,
                1000 * cpu / chunks);
    }

    /** CPU time of the server's threads that carry uploads: the takes thread and the Netty event loops. */
    private static double serverCpuSeconds(ThreadMXBean threads) {
        long nanos = 0;
        for (long id : threads.getAllThreadIds()) {
            ThreadInfo info = threads.getThreadInfo(id);
            if (info == null) {
                continue;
            }
            String n = info.getThreadName();
            if (n.equals("takes") || n.contains("EventLoop")) {
                long t = threads.getThreadCpuTime(id);
                if (t > 0) {
                    nanos += t;
                }
            }
        }
        return nanos / 1e9;
    }
}
