package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.ServerProcess;
import dev.improv.server.testing.TestLocks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * What members that do not read make the server hold, measured against the small server of
 * DirectMemoryEndToEndTest (32 MiB of direct memory, one I/O thread). On demand ({@code soak}: it loads the box for
 * half a minute):
 * {@code mvn -B -o -pl server -am verify -DskipUTs -Dslow.test.groups=soak -Dit.test='OutboundMemorySoakTest'}.
 */
@Tag("soak")
@ResourceLock(TestLocks.CPU)
class OutboundMemorySoakTest {
    private static final String KEY = "outbound-memory-admin-key";
    private static final int OUT_PAIRS = 40;

    @TempDir
    Path data;
    ServerProcess server;

    @BeforeEach
    void start() throws Exception {
        server = SmallServer.start(data, KEY, 32);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /**
     * The outbound side: 40 rooms in which one performer relays signals of 60 KB at its message rate to another
     * performer who never reads (a 4 KiB receive buffer). The slow-consumer rule cuts each reader once 1 MiB is
     * queued for it; the question is what all of them hold together against 32 MiB of direct memory, and whether
     * the legitimate room on the same I/O thread keeps its prompts. Measured and printed: direct memory (the JVM's
     * direct buffer pool, from /metrics), RSS, the prompts, the slow-consumer closes. Asserted: no prompt waits
     * 10 s, members are cut, direct memory stays well under its limit. Printed, not asserted: the latencies during
     * and after, and how long the server takes to read what the senders wrote (CPU: see the notes of issue 13).
     */
    @Test
    void membersThatDoNotReadCannotExhaustDirectMemory() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{}")) {
            List<Double> before = room.prompts(50, 20);
            // counted on connections of their own (closed after each answer): the shared client keeps its own
            // connections open, and its scraper's would count as members that had not gone
            double baseline = DirectMemoryEndToEndTest.counter(RoomProbe.getOnce(server.port(), "/metrics"),
                    "improv_connections");
            String data = "x".repeat(60_000);
            ExecutorService pool = Executors.newFixedThreadPool(OUT_PAIRS / 5 + 1);
            List<Future<?>> senders = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicLong peakDirect = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong peakRss = new java.util.concurrent.atomic.AtomicLong();
            AtomicInteger scrapesFailed = new AtomicInteger();
            List<RawWebSocket> sockets = new CopyOnWriteArrayList<>();
            for (int t = 0; t < OUT_PAIRS / 5; t++) {
                senders.add(pool.submit(() -> {
                    List<RawWebSocket[]> pairs = new ArrayList<>();
                    List<String> targets = new ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        JsonNode r = RoomProbe.create(server.port(), KEY, "{}");
                        RawWebSocket ben = RawWebSocket.open(null, server.port(), RoomProbe.pathOf(r, "performer", 1),
                                4096);
                        String welcome = ben.readFrame().text();
                        targets.add(com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(welcome)
                                .path("you").path("id").asText());
                        RawWebSocket ana = RawWebSocket.open(null, server.port(), RoomProbe.pathOf(r, "performer", 0),
                                0);
                        sockets.add(ben);
                        sockets.add(ana);
                        pairs.add(new RawWebSocket[] {ana, ben});
                    }
                    for (int n = 0; n < 6_000 && running.get(); n++) { // bounded: 60 s of sleeps at least
                        for (int i = 0; i < pairs.size(); i++) {
                            pairs.get(i)[0].sendText("{\"type\":\"signal\",\"to\":\"" + targets.get(i)
                                    + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\"" + data + "\"}}");
                        }
                        Thread.sleep(10);
                    }
                    return null;
                }));
            }
            pool.submit(() -> {
                while (running.get()) {
                    try {
                        peakDirect.accumulateAndGet((long) DirectMemoryEndToEndTest.counter(RoomProbe.get(server.port(), "/metrics", 3),
                                "improv_direct_memory_used_bytes"), Math::max);
                    } catch (java.io.IOException e) {
                        scrapesFailed.incrementAndGet(); // timed out: the server is stalled
                    }
                    peakRss.accumulateAndGet(server.rssMib(), Math::max);
                    Thread.sleep(200);
                }
                return null;
            });
            // At least 8 s, and on until readers were cut (the attack reached the per-member bound; on a loaded box
            // that takes longer: the kernel's send buffers fill first), at most 60 s
            List<Double> during = new ArrayList<>();
            long started = System.nanoTime();
            long minimum = started + TimeUnit.SECONDS.toNanos(8);
            long maximum = started + TimeUnit.SECONDS.toNanos(60);
            long nextCheck = minimum;
            while (System.nanoTime() < maximum) {
                during.add(room.promptOrMissed());
                Thread.sleep(20);
                if (System.nanoTime() >= nextCheck) {
                    if (DirectMemoryEndToEndTest.counter(RoomProbe.getOnce(server.port(), "/metrics"),
                            "improv_errors_total{code=\"slow_consumer\"}") > 0) {
                        break;
                    }
                    nextCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                }
            }
            double attackSeconds = (System.nanoTime() - started) / 1e9;
            running.set(false);
            for (Future<?> f : senders) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // a sender cut off by the server
                }
            }
            for (RawWebSocket ws : sockets) {
                ws.close();
            }
            pool.shutdownNow();
            // gone once the server read what the senders' sockets still held and saw them close: printed, not
            // asserted (it parses, or reads and drops above the message rate, everything the senders had written)
            long leaving = System.nanoTime();
            double goneMs = -1;
            long deadline = leaving + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (DirectMemoryEndToEndTest.counter(RoomProbe.getOnce(server.port(), "/metrics"),
                        "improv_connections") <= baseline) {
                    goneMs = (System.nanoTime() - leaving) / 1e6;
                    break;
                }
                Thread.sleep(200);
            }
            List<Double> after = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                after.add(room.promptOrMissed());
                Thread.sleep(20);
            }
            String metrics = RoomProbe.get(server.port(), "/metrics");
            List<String> log = server.output();
            java.nio.file.Files.write(java.nio.file.Path.of("target", "direct-memory-outbound-server.log"), log);
            System.out.printf("outbound: %d pairs; before %s; during (%.1f s) %s; gone after %.0f ms; after %s; direct memory "
                            + "peak %d MiB (%d scrapes timed out); RSS peak %d MiB; slow consumers %s; %s%n", OUT_PAIRS,
                    RoomProbe.summary(before), attackSeconds, RoomProbe.summary(during), goneMs, RoomProbe.summary(after),
                    peakDirect.get() >> 20, scrapesFailed.get(), peakRss.get(),
                    DirectMemoryEndToEndTest.counter(metrics, "improv_errors_total{code=\"slow_consumer\"}"), SmallServer.gcPauses(log));
            log.stream().filter(l -> !l.startsWith("\tat ") && (l.contains(" WARN ") || l.contains(" ERROR ")
                    || l.contains("Exception"))).limit(20).forEach(System.out::println);
            // Not asserted: the latency during the flood. The senders make the room's one I/O thread parse and
            // encode ~45 MB/s of signal JSON (80 connections at the message rate with 60 KB each): that is CPU, not
            // memory, and the message rate does not bound bytes (see the notes of issue 13).
            assertEquals(0, during.stream().filter(ms -> ms >= RoomProbe.MISSED_MS).count(), "no prompt waited 10 s: "
                    + RoomProbe.summary(during) + "; " + room.members());
            assertTrue(DirectMemoryEndToEndTest.counter(metrics, "improv_errors_total{code=\"slow_consumer\"}") > 0, "readers were cut within "
                    + "60 s");
            assertTrue(peakDirect.get() > 0 && peakDirect.get() < 28L << 20, "direct memory stayed under the limit: "
                    + (peakDirect.get() >> 20) + " MiB");
            assertEquals(0, after.stream().filter(ms -> ms >= RoomProbe.MISSED_MS).count(), "no prompt waited 10 s "
                    + "after they left: " + RoomProbe.summary(after) + "; " + room.members());
            assertTrue(log.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("out of memory")
                    || l.contains("Cannot reserve")), "memory never ran out: " + DirectMemoryEndToEndTest.tail(log));
        }
    }

}
