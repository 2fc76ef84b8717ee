package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.ServerProcess;
import dev.improv.server.testing.TestLocks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Clients that make the server produce bytes and never read them, against a server in its own small JVM
 * ({@code -Xmx256m -XX:MaxDirectMemorySize=128m}, one I/O thread, so the attacker shares the room's thread): the
 * server's memory stays bounded and a legitimate room on the same thread keeps getting its prompts in time,
 * during the attack and after it.
 */
@Tag("integration")
@ResourceLock(TestLocks.CPU)
class BackPressureEndToEndTest {
    private static final String KEY = "hostile-admin-key";
    /**
     * Issue 13's bound: a prompt is delivered within 100 ms of sending, during the attack and after it. Measured per
     * prompt with real sockets, from just before the moderator's send to the performer's arrival (RoomProbe), a
     * prompt every 20 ms for 5 s during the attack, 50 after it. On a loaded 2-core CI box (load 20-40 while other
     * builds run) single prompts are late by hundreds of milliseconds without any attack (the OS; the server's young
     * GC of 12 MB took 1.6 s in one such run), so the noise of the box is measured in the same test, from two samples
     * without an attack: 50 prompts before it and 50 after it. Asserted for the sample during the attack: at least 20
     * prompts got through (the unfixed server delivered 3 in 5 s), the median within 100 ms of the baseline's median
     * (unfixed: 2.7 s), and the p99 within 100 ms plus twice the noise (the larger p99-minus-median of the two
     * samples without attack). On a quiet box the noise is a few milliseconds and this is the 100 ms requirement;
     * the max is printed, not asserted. The sample after the attack is held to the same bound.
     */
    static final double BOUND_MS = 100;
    private static final long RSS_BOUND_MIB = 640;

    @TempDir
    Path data;
    ServerProcess server;

    @BeforeEach
    void start() throws Exception {
        server = SmallServer.start(data, KEY, 128);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void pipelinedMetricsFromAClientThatNeverReadsNeitherGrowMemoryNorStallTheRoom() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{\"observers\":4}")) {
            List<Double> before = room.prompts(50, 20);
            long rssBefore = server.rssMib();
            byte[] attack = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(24_000).getBytes(StandardCharsets.US_ASCII);
            AtomicBoolean attacking = new AtomicBoolean(true);
            AtomicLong peakRss = new AtomicLong(rssBefore);
            ExecutorService pool = Executors.newFixedThreadPool(5);
            List<Future<?>> attackers = new ArrayList<>();
            for (int a = 0; a < 4; a++) {
                attackers.add(pool.submit(() -> {
                    for (int i = 0; i < 10 && attacking.get(); i++) {
                        pipelineAndNeverRead(server.port(), attack, 1500);
                    }
                    return null;
                }));
            }
            pool.submit(() -> sampleRss(attacking, peakRss));
            List<Double> during = room.promptsFor(5000, 20);
            long healthStart = System.nanoTime();
            HttpResponse<String> health = get(server.port(), "/healthz");
            double healthMs = (System.nanoTime() - healthStart) / 1e6;
            attacking.set(false);
            for (Future<?> f : attackers) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            List<Double> after = room.prompts(50, 20);
            System.out.printf("pipelining attack: before %s; during %s; after %s; p99 bound %.1f ms; healthz %.1f ms; "
                            + "RSS %d -> peak %d MiB; %s%n", RoomProbe.summary(before), RoomProbe.summary(during),
                    RoomProbe.summary(after), BOUND_MS + 2 * noise(before, after), healthMs, rssBefore, peakRss.get(),
                    SmallServer.gcPauses(server.output()));
            assertEquals(200, health.statusCode());
            assertWithin(during, before, after, "during the attack");
            assertWithin(after, before, after, "after the attack");
            assertTrue(peakRss.get() < RSS_BOUND_MIB, "RSS peaked at " + peakRss.get() + " MiB");
            assertNoStackTraces();
        }
    }

    @Test
    void aPingFloodFromAClientThatNeverReadsIsDroppedAndTheRoomKeepsWorking() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{\"observers\":4}")) {
            long rssBefore = server.rssMib();
            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicLong peakRss = new AtomicLong(rssBefore);
            AtomicLong sentBytes = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(5);
            List<Future<?>> flooders = new ArrayList<>();
            for (int f = 0; f < 4; f++) {
                String path = "/ws/rooms/" + room.roomId() + "?token=" + room.token("observer", f);
                flooders.add(pool.submit(() -> pingFlood(server.port(), path, flooding, sentBytes, 60L << 20)));
            }
            pool.submit(() -> sampleRss(flooding, peakRss));
            List<Double> before = room.prompts(50, 20);
            List<Double> during = room.promptsFor(5000, 20);
            flooding.set(false);
            for (Future<?> f : flooders) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            List<Double> after = room.prompts(50, 20);
            String metrics = get(server.port(), "/metrics").body();
            System.out.printf("ping flood: %d MiB of pings sent; before %s; during %s; after %s; p99 bound %.1f ms; "
                            + "RSS %d -> peak %d MiB%n", sentBytes.get() >> 20, RoomProbe.summary(before),
                    RoomProbe.summary(during), RoomProbe.summary(after), BOUND_MS + 2 * noise(before, after), rssBefore,
                    peakRss.get());
            assertTrue(sentBytes.get() > 8L << 20, "the flood was a flood: " + sentBytes.get() + " bytes");
            assertWithin(during, before, after, "during the flood");
            assertWithin(after, before, after, "after the flood");
            assertTrue(peakRss.get() < RSS_BOUND_MIB, "RSS peaked at " + peakRss.get() + " MiB");
            assertFalse(room.performer().isClosed());
            assertTrue(metrics.contains("improv_errors_total{code=\"slow_consumer\"}")
                    || metrics.contains("improv_errors_total{code=\"rate_limited\"}"), "flood counted");
            assertNoStackTraces();
        }
    }

    /** What the box adds to a prompt without any attack: the larger p99-minus-median of the two samples. */
    static double noise(List<Double> before, List<Double> after) {
        return Math.max(tail(before), tail(after));
    }

    private static double tail(List<Double> sample) {
        return Math.max(0, RoomProbe.percentile(sample, 99) - RoomProbe.percentile(sample, 50));
    }

    /**
     * See {@link #BOUND_MS}: count, median against the baseline's, p99 against 100 ms plus twice the noise. The
     * noise of the box comes from both samples without attack for the sample during it, and from the one before for
     * the sample after (which is one of the two).
     */
    static void assertWithin(List<Double> sample, List<Double> before, List<Double> after, String when) {
        String what = "prompts " + when + ": " + RoomProbe.summary(sample) + "; before " + RoomProbe.summary(before)
                + "; after " + RoomProbe.summary(after);
        double noise = sample == after ? tail(before) : noise(before, after);
        assertTrue(sample.size() >= 20, what);
        assertTrue(RoomProbe.percentile(sample, 50) < BOUND_MS + RoomProbe.percentile(before, 50), "median: " + what);
        assertTrue(RoomProbe.percentile(sample, 99) < BOUND_MS + 2 * noise, "p99: " + what);
    }

    private void assertNoStackTraces() {
        List<String> traces = server.output().stream().filter(l -> l.startsWith("\tat ")).toList();
        assertTrue(traces.isEmpty(), "stack traces in the server log: " + traces.subList(0, Math.min(5, traces.size())));
    }

    private void sampleRss(AtomicBoolean running, AtomicLong peak) {
        while (running.get()) {
            try {
                peak.accumulateAndGet(server.rssMib(), Math::max);
                Thread.sleep(100);
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    /** One write of {@code attack}, then hold the connection without reading for {@code holdMs}. */
    private static void pipelineAndNeverRead(int port, byte[] attack, long holdMs) throws InterruptedException {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(attack);
                    out.flush();
                } catch (IOException ignored) {
                    // closed by the server: that is the point
                }
            });
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(holdMs);
        } catch (IOException ignored) {
            // refused or reset by the server
        }
    }

    /** Masked pings with 125-byte payloads, written as fast as the socket takes them, never reading. */
    private static Void pingFlood(int port, String path, AtomicBoolean running, AtomicLong sent, long maxBytes)
            throws IOException {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        byte[] mask = {1, 2, 3, 4};
        while (frames.size() < 64 * 1024) {
            frames.write(0x89);
            frames.write(0x80 | 125);
            frames.write(mask, 0, 4);
            for (int i = 0; i < 125; i++) {
                frames.write('p' ^ mask[i % 4]);
            }
        }
        byte[] chunk = frames.toByteArray();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            OutputStream out = s.getOutputStream();
            String key = Base64.getEncoder().encodeToString(new byte[16]);
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            java.io.InputStream in = s.getInputStream();
            for (int matched = 0; matched < 4; ) { // the 101 head, then only pings (as a real client would)
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            while (running.get() && sent.get() < maxBytes) {
                out.write(chunk);
                sent.addAndGet(chunk.length);
            }
        } catch (IOException e) {
            // cut off by the server (slow consumer, rate): fine
        }
        return null;
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
