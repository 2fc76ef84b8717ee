package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.ServerProcess;
import dev.improv.server.testing.TestLocks;
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
 * Direct-memory exhaustion on the I/O thread of a room, reproduced: a server with 32 MiB of direct memory and one I/O
 * thread, and an offender that opens 1,600 connections from 8 loopback addresses, sends 63 of the 64 KiB of a
 * request body on each and then neither finishes nor reads. Every connection is within its limits (body size,
 * per-address connections, request timeout); together they held about 100 MiB of direct memory, and without a
 * bound every allocation on that thread waited in {@code Bits.reserveMemory} while the room starved. Checked: the
 * room's prompts keep flowing during and after, the log says that the unfinished requests went over their budget,
 * memory never runs out, and once the offender is gone the server takes new HTTP requests and rooms again. While
 * the offender opens and holds its connections (1,600 accepts and 100 MiB of reads on the room's one I/O thread)
 * every prompt must arrive (the probe waits 10 s for each) and the latencies are printed; after it left, prompts
 * are held to BackPressureEndToEndTest's bound.
 */
@Tag("integration")
@ResourceLock(TestLocks.CPU)
class DirectMemoryEndToEndTest {
    private static final String KEY = "direct-memory-admin-key";
    private static final int ADDRESSES = 8;
    private static final int CONNECTIONS_PER_ADDRESS = 200;
    private static final int BODY_BYTES = 64_000;
    private static final int SENT_BYTES = 63_000;
    private static final long HOLD_MS = 5000;

    @TempDir
    Path data;
    ServerProcess server;

    @BeforeEach
    void start() throws Exception {
        server = ServerProcess.start(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=32m"),
                List.of("--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(), "--admin-key", KEY,
                        "--io-threads", "1", "--fsync", "OFF"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void unfinishedRequestsCannotExhaustDirectMemoryAndStallTheRoom() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{}")) {
            List<Double> before = room.prompts(50, 20);
            List<Socket> offender = new CopyOnWriteArrayList<>();
            AtomicInteger refusedWrites = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(ADDRESSES);
            List<Future<?>> openers = new ArrayList<>();
            byte[] head = ("POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + BODY_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] body = new byte[SENT_BYTES];
            java.util.Arrays.fill(body, (byte) ' ');
            for (int a = 0; a < ADDRESSES; a++) {
                String local = "127.0.0." + (2 + a);
                openers.add(pool.submit(() -> {
                    for (int i = 0; i < CONNECTIONS_PER_ADDRESS; i++) {
                        Socket s = new Socket();
                        try {
                            s.setReceiveBufferSize(4096);
                            s.bind(new InetSocketAddress(local, 0));
                            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                            offender.add(s);
                            OutputStream out = s.getOutputStream();
                            out.write(head);
                            out.write(body);
                            out.flush();
                        } catch (IOException e) {
                            refusedWrites.incrementAndGet(); // closed by the server
                            if (!offender.contains(s)) {
                                try {
                                    s.close();
                                } catch (IOException ignored) {
                                    // never connected
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            // while the offender opens its 1,600 connections (a burst of accepts and 100 MiB of reads on the room's
            // only I/O thread): printed, and bounded only by the probe's 10 s wait for each prompt
            List<Double> opening = new ArrayList<>();
            while (!openers.stream().allMatch(Future::isDone)) {
                opening.add(room.promptLatencyMs());
                Thread.sleep(20);
            }
            for (Future<?> f : openers) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            // the steady state that used to stall for minutes: every connection open and waiting mid-body
            List<Double> during = room.promptsFor(HOLD_MS, 20);
            for (Socket s : offender) {
                s.close();
            }
            List<Double> after = room.prompts(50, 20);
            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/api/rooms"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            List<String> log = server.output();
            System.out.printf("direct memory: %d offender connections (%d writes refused); before %s; while opening %s;"
                            + " held open %s; after %s; RSS %d MiB%n", offender.size(), refusedWrites.get(),
                    RoomProbe.summary(before), opening.isEmpty() ? "-" : RoomProbe.summary(opening),
                    RoomProbe.summary(during), RoomProbe.summary(after), server.rssMib());
            // every prompt while the offender opened and held its connections arrived (the probe waits 10 s for
            // each; the unfixed server delivered none for minutes); after it left, the back-pressure bound
            assertTrue(!during.isEmpty(), "prompts kept arriving while the offender held its connections");
            BackPressureEndToEndTest.assertWithin(after, before, after, "after the offender left");
            assertTrue(log.stream().anyMatch(l -> l.contains("over the budget")), "the log says so: " + tail(log));
            assertTrue(log.stream().anyMatch(l -> l.contains("are back to")), "and that it is over: " + tail(log));
            assertTrue(log.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("out of memory")
                    || l.contains("Cannot reserve")), "direct memory never ran out: " + tail(log));
            assertEquals(201, created.statusCode(), "new HTTP requests are served again: " + created.body());
            try (RoomProbe second = RoomProbe.open(server.port(), KEY, "{}")) {
                assertTrue(second.promptLatencyMs() < 1000, "and a new room works");
            }
        }
    }

    private static List<String> tail(List<String> log) {
        return log.subList(Math.max(0, log.size() - 20), log.size());
    }
}
