package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.RawWebSocket;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
    private static final long HOLD_MS = 3000;
    private static final int WS_PER_ADDRESS = 32;
    private static final int WS_FRAGMENT_BYTES = 120_000;

    @TempDir
    static Path data;
    static ServerProcess server;

    /** One server for both attacks (they run one after the other; each checks that the server recovered). */
    @BeforeAll
    static void start() throws Exception {
        // 32 observer links per room for the WebSocket offender (8 rooms x 32 observers)
        server = SmallServer.start(data, KEY, 32, "--max-observers", "32", "--max-members-per-room", "40");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void unfinishedRequestsCannotExhaustDirectMemoryAndStallTheRoom() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{}")) {
            List<Double> before = room.prompts(50, 20);
            double baseline = counter(RoomProbe.get(server.port(), "/metrics"), "improv_connections");
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
            // gone once the server saw the offender's connections close (1,600 of them on the one I/O thread)
            long leaving = System.nanoTime();
            Awaitility.await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() ->
                    counter(RoomProbe.get(server.port(), "/metrics"), "improv_connections") <= baseline + 2);
            double goneMs = (System.nanoTime() - leaving) / 1e6;
            List<Double> after = room.prompts(50, 20);
            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/api/rooms"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            List<String> log = server.output();
            System.out.printf("direct memory: %d offender connections (%d writes refused); before %s; while opening %s;"
                            + " held open %s; gone after %.0f ms; after %s; RSS %d MiB; %s%n", offender.size(),
                    refusedWrites.get(), RoomProbe.summary(before), opening.isEmpty() ? "-" : RoomProbe.summary(opening),
                    RoomProbe.summary(during), goneMs, RoomProbe.summary(after), server.rssMib(),
                    SmallServer.gcPauses(log));
            // every prompt while the offender opened and held its connections arrived (the probe waits 10 s for
            // each; the unfixed server delivered none for minutes); after it left, the back-pressure bound
            assertTrue(!during.isEmpty(), "prompts kept arriving while the offender held its connections");
            BackPressureEndToEndTest.assertWithin(after, before, after, "after the offender left");
            assertTrue(log.stream().anyMatch(l -> l.contains("unfinished HTTP requests hold")), "the log says so: "
                    + tail(log));
            assertTrue(log.stream().anyMatch(l -> l.contains("unfinished HTTP requests are back to")),
                    "and that it is over: " + tail(log));
            assertTrue(log.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("out of memory")
                    || l.contains("Cannot reserve")), "direct memory never ran out: " + tail(log));
            assertEquals(201, created.statusCode(), "new HTTP requests are served again: " + created.body());
            try (RoomProbe second = RoomProbe.open(server.port(), KEY, "{}")) {
                assertTrue(second.promptLatencyMs() < 1000, "and a new room works");
            }
        }
    }

    /**
     * The same on WebSocket sessions: 256 observers of 8 rooms, 32 from each of 8 loopback addresses (within every
     * per-address and per-room limit), each send the first fragment of a text message (120,000 bytes, complete) and
     * then 110,000 of the 120,000 bytes of its last fragment, and wait, never finishing and never reading. The frame
     * decoder holds the unfinished frame and the aggregator the first fragment: 230 KB a connection, 59 MB together
     * against 32 MiB of direct memory. Checked: the room's prompts keep flowing (none missed while the offender
     * connects, the bound of BackPressureEndToEndTest while it holds and after), the log says the budget was hit and
     * that it is over, the connections holding the most were closed with 1013 and counted in /metrics, memory
     * never runs out, and a new room works afterwards.
     */
    @Test
    void unfinishedWebSocketMessagesCannotExhaustMemoryAndStallTheRoom() throws Exception {
        try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{}")) {
            List<Double> before = room.prompts(50, 20);
            List<JsonNode> rooms = new ArrayList<>();
            for (int r = 0; r < ADDRESSES; r++) {
                rooms.add(RoomProbe.create(server.port(), KEY, "{\"observers\":" + WS_PER_ADDRESS + "}"));
            }
            List<RawWebSocket> offender = new CopyOnWriteArrayList<>();
            AtomicInteger refused = new AtomicInteger();
            byte[] firstFragment = new byte[WS_FRAGMENT_BYTES];
            java.util.Arrays.fill(firstFragment, (byte) ' ');
            ExecutorService pool = Executors.newFixedThreadPool(ADDRESSES);
            List<Future<?>> openers = new ArrayList<>();
            for (int a = 0; a < ADDRESSES; a++) {
                String local = "127.0.0." + (2 + a);
                JsonNode observed = rooms.get(a);
                openers.add(pool.submit(() -> {
                    for (int i = 0; i < WS_PER_ADDRESS; i++) {
                        try {
                            RawWebSocket ws = RawWebSocket.open(local, server.port(),
                                    RoomProbe.pathOf(observed, "observer", i), 4096);
                            offender.add(ws);
                            ws.sendFrameStart(0x1, false, WS_FRAGMENT_BYTES, WS_FRAGMENT_BYTES);
                            ws.sendFrameStart(0x0, true, WS_FRAGMENT_BYTES, WS_FRAGMENT_BYTES - 10_000);
                        } catch (IOException e) {
                            refused.incrementAndGet(); // refused or closed by the server
                        }
                    }
                    return null;
                }));
            }
            List<Double> opening = new ArrayList<>();
            long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!openers.stream().allMatch(Future::isDone) && System.nanoTime() < openDeadline) {
                opening.add(room.promptOrMissed());
                Thread.sleep(20);
            }
            List<Double> during = new ArrayList<>();
            long holdEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOLD_MS);
            while (System.nanoTime() < holdEnd || during.size() < 20) { // 20 prompts at least: see assertWithin
                during.add(room.promptOrMissed());
                Thread.sleep(20);
            }
            String metricsDuring = RoomProbe.get(server.port(), "/metrics");
            int closedWith1013 = 0;
            for (RawWebSocket ws : offender) {
                if (closeCodeWithin(ws, 5) == 1013) {
                    closedWith1013++;
                }
            }
            for (RawWebSocket ws : offender) {
                ws.close(); // also unblocks an opener stuck writing to a stalled server
            }
            pool.shutdownNow();
            boolean openersDone = pool.awaitTermination(30, TimeUnit.SECONDS);
            // gone once the server saw every offender connection close and gave its bytes back
            long leaving = System.nanoTime();
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> counter(RoomProbe.get(server.port(),
                    "/metrics"), "improv_websocket_input_held_bytes") < 64 * 1024);
            double goneMs = (System.nanoTime() - leaving) / 1e6;
            List<Double> after = room.prompts(50, 20);
            List<String> log = server.output();
            System.out.printf("websocket input: %d offender connections (%d refused), %d closed with 1013; before %s;"
                            + " while opening %s; held open %s; gone after %.0f ms; after %s; RSS %d MiB; %s; %s%n",
                    offender.size(), refused.get(), closedWith1013, RoomProbe.summary(before),
                    opening.isEmpty() ? "-" : RoomProbe.summary(opening), RoomProbe.summary(during), goneMs,
                    RoomProbe.summary(after), server.rssMib(), metricLines(metricsDuring), SmallServer.gcPauses(log));
            java.nio.file.Files.write(java.nio.file.Path.of("target", "direct-memory-websocket-server.log"), log);
            log.stream().filter(l -> !l.startsWith("\tat ") && (l.contains(" WARN ") || l.contains(" ERROR ")
                    || l.contains("Exception") || l.contains("WebSocketInputBudget "))).limit(30)
                    .forEach(System.out::println);
            assertTrue(openersDone, "the offender's threads ended");
            assertEquals(0, opening.stream().filter(ms -> ms >= RoomProbe.MISSED_MS).count()
                    + during.stream().filter(ms -> ms >= RoomProbe.MISSED_MS).count(),
                    "no prompt waited 10 s: while opening " + RoomProbe.summary(opening) + "; held "
                            + RoomProbe.summary(during));
            BackPressureEndToEndTest.assertWithin(during, before, after, "while the offender held its messages");
            BackPressureEndToEndTest.assertWithin(after, before, after, "after the offender left");
            assertTrue(log.stream().anyMatch(l -> l.contains("--ws-input-budget-bytes")), "the log says so: "
                    + tail(log));
            assertTrue(log.stream().anyMatch(l -> l.contains("unfinished WebSocket messages are back to")),
                    "and that it is over: " + tail(log));
            assertTrue(log.stream().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("out of memory")
                    || l.contains("Cannot reserve")), "memory never ran out: " + tail(log));
            assertTrue(closedWith1013 > 0, "the connections holding the most were closed with 1013 (try again later)");
            assertEquals(List.of(), log.stream().filter(l -> l.startsWith("\tat ")).limit(5).toList(),
                    "no stack trace (members that left in the middle of a fragmented message used to log one each)");
            assertTrue(log.stream().noneMatch(l -> l.contains(KEY)), "the key given by --admin-key is not printed");
            assertTrue(counter(metricsDuring, "improv_errors_total{code=\"input_budget\"}") >= closedWith1013,
                    "and counted: " + metricLines(metricsDuring));
            try (RoomProbe second = RoomProbe.open(server.port(), KEY, "{}")) {
                assertTrue(second.promptLatencyMs() < 1000, "and a new room works");
            }
        }
    }

    /** The close code the server sent on {@code ws} (reading what came before it), or -1 within {@code ms}. */
    private static int closeCodeWithin(RawWebSocket ws, int ms) {
        try {
            ws.readTimeout(ms);
            for (RawWebSocket.Frame f = ws.readFrame(); f != null; f = ws.readFrame()) {
                if (f.opcode() == 0x8) {
                    return f.closeCode();
                }
            }
        } catch (IOException e) {
            // still open (timed out) or reset
        }
        return -1;
    }

    static double counter(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(name.length() + 1).trim())).findFirst().orElse(0);
    }

    private static String metricLines(String metrics) {
        return String.join("; ", metrics.lines().filter(l -> l.startsWith("improv_websocket_input")
                || l.startsWith("improv_direct_memory") || l.startsWith("improv_errors_total{code=\"input_budget"))
                .toList());
    }

    static List<String> tail(List<String> log) {
        return log.subList(Math.max(0, log.size() - 20), log.size());
    }
}
