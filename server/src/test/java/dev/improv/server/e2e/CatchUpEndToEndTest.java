package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catching up is flow control, not a slow-consumer offence: a recorder joining a room with 20 MB of history (most
 * of it only in the session log, since memory holds 1 MiB per room) gets all of it at full speed over a real
 * socket, gap-free and followed by the live events sent meanwhile, while a recorder that stops reading is still
 * cut. The slow-consumer high-water mark stays at its default of 1 MiB.
 */
@Tag("integration")
class CatchUpEndToEndTest {
    static final int PROMPTS = 5_000;
    static final int LIVE_DURING_CATCH_UP = 20;
    static final long STALL_MS = 2_000;
    static final Pattern TYPE = Pattern.compile("^\\{\"type\":\"([a-z_]+)\"");
    static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
    static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startWithLog(data, "--max-messages-per-second", "100000", "--message-burst", "100000",
                "--catch-up-stall-ms", Long.toString(STALL_MS), "--fsync", "OFF");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Reads a raw socket at full speed on its own thread, keeping only what the test checks. */
    static final class Reader implements AutoCloseable {
        final RawWebSocket ws;
        final List<Long> seqs = new CopyOnWriteArrayList<>();
        final List<String> presenceDown = new CopyOnWriteArrayList<>();
        final AtomicLong roomEventBytes = new AtomicLong();
        final AtomicInteger prompts = new AtomicInteger();
        final AtomicInteger closeCode = new AtomicInteger();
        volatile long welcomeSeq = -1;
        final Thread thread;

        Reader(RawWebSocket ws, String name) throws IOException {
            // blocks until data or close: the test's awaits bound the time, and a read-back from the log may
            // keep a catching-up reader waiting for a while on a loaded machine
            this.ws = ws.readTimeout(0);
            this.thread = new Thread(this::run, name);
            this.thread.setDaemon(true);
            this.thread.start();
        }

        private void run() {
            try {
                for (RawWebSocket.Frame f = ws.readFrame(); f != null; f = ws.readFrame()) {
                    if (f.opcode() == 0x8) {
                        closeCode.set(f.closeCode());
                        return;
                    }
                    if (f.opcode() != 0x1) {
                        continue; // pings
                    }
                    String text = f.text();
                    Matcher type = TYPE.matcher(text);
                    if (!type.find()) {
                        continue;
                    }
                    String t = type.group(1);
                    Matcher seq = SEQ.matcher(text);
                    if (t.equals("welcome")) {
                        // the room's seq is the welcome's last "seq" (the prompt inside the room state has one too)
                        long last = -1;
                        while (seq.find()) {
                            last = Long.parseLong(seq.group(1));
                        }
                        welcomeSeq = last;
                    } else if (!t.equals("ack") && !t.equals("error") && !t.equals("notice") && seq.find()) {
                        seqs.add(Long.parseLong(seq.group(1)));
                        roomEventBytes.addAndGet(f.payload().length);
                        if (t.equals("prompt")) {
                            prompts.incrementAndGet();
                        }
                        if (t.equals("presence") && text.contains("\"connected\":false")) {
                            Matcher id = ID.matcher(text);
                            id.find();
                            presenceDown.add(id.group(1));
                        }
                    }
                }
            } catch (IOException e) {
                closeCode.compareAndSet(0, -1);
            }
        }

        long lastSeq() {
            return seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
        }

        @Override
        public void close() throws IOException {
            ws.close();
        }
    }

    static String path(JsonNode room, String role, int i) {
        return "/ws/rooms/" + room.path("room").path("id").asText() + "?token="
                + TestServer.link(room, role, i).path("token").asText();
    }

    static void assertGapFree(List<Long> seqs, long from, long to) {
        assertEquals(to - from + 1, seqs.size(), "count of seqs " + from + ".." + to);
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != from + i) {
                throw new AssertionError("seq " + (from + i) + " expected at index " + i + ", got " + seqs.get(i));
            }
        }
    }

    @Test
    void aTwentyMegabyteReplayReachesAFullSpeedReaderWhileAReaderThatStopsReadingIsCut() throws Exception {
        JsonNode room = server.createRoom("{\"recorders\":2}");
        String text = "x".repeat(1990); // prompts may hold 2000 characters
        String meta = "{\"pad\":\"" + "m".repeat(2000) + "\"}";
        try (Reader mod = new Reader(RawWebSocket.open(server.port(), path(room, "moderator", 0), 0), "moderator")) {
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.welcomeSeq >= 0);
            for (int i = 0; i < PROMPTS; i++) {
                mod.ws.sendText("{\"type\":\"prompt\",\"text\":\"" + i + text + "\",\"meta\":" + meta + "}");
            }
            Awaitility.await().atMost(60, TimeUnit.SECONDS).alias("the moderator saw every prompt")
                    .until(() -> mod.prompts.get() == PROMPTS);
            long historyBytes = mod.roomEventBytes.get();
            assertTrue(historyBytes > 20_000_000, "the session holds more than 20 MB: " + historyBytes);

            String stoppedId = TestServer.link(room, "recorder", 1).path("participantId").asText();
            String fastId = TestServer.link(room, "recorder", 0).path("participantId").asText();
            try (RawWebSocket stopped = RawWebSocket.open(server.port(), path(room, "recorder", 1), 4096)) {
                long start = System.nanoTime();
                try (Reader fast = new Reader(RawWebSocket.open(server.port(), path(room, "recorder", 0), 0),
                        "full-speed recorder")) {
                    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> fast.welcomeSeq >= 0);
                    for (int i = 0; i < LIVE_DURING_CATCH_UP; i++) {
                        mod.ws.sendText("{\"type\":\"prompt\",\"text\":\"live " + i + "\"}");
                    }
                    Awaitility.await().atMost(60, TimeUnit.SECONDS).alias("the moderator saw the live prompts")
                            .until(() -> mod.prompts.get() == PROMPTS + LIVE_DURING_CATCH_UP);
                    long last = mod.lastSeq();
                    Awaitility.await().atMost(90, TimeUnit.SECONDS).alias("the full-speed reader caught up")
                            .until(() -> fast.lastSeq() >= last || fast.closeCode.get() != 0);
                    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertEquals(0, fast.closeCode.get(), "the full-speed reader was not cut");
                    List<Long> got = fast.seqs.subList(0, (int) Math.min(fast.seqs.size(), last));
                    assertGapFree(got, 1, last);
                    assertTrue(fast.roomEventBytes.get() > 20_000_000, "replayed bytes: " + fast.roomEventBytes);
                    System.out.printf("catch-up of %d events (%d bytes) to a full-speed reader: %d ms (load %s)%n",
                            last, fast.roomEventBytes.get(), elapsedMs,
                            java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());

                    String roomPath = "/api/rooms/" + room.path("room").path("id").asText();
                    try {
                        Awaitility.await().atMost(STALL_MS * 10, TimeUnit.MILLISECONDS)
                                .until(() -> mod.presenceDown.contains(stoppedId));
                    } catch (org.awaitility.core.ConditionTimeoutException e) {
                        throw new AssertionError("the reader that stopped reading (" + stoppedId + ") was not cut; "
                                + "presence down seen: " + mod.presenceDown + "; room: "
                                + server.admin("GET", roomPath, null).body(), e);
                    }
                    assertFalse(mod.presenceDown.contains(fastId), "only the stopped reader was cut");
                    assertTrue(server.metrics().contains("improv_errors_total{code=\"slow_consumer\"}"));

                    mod.ws.sendText("{\"type\":\"prompt\",\"text\":\"after\"}");
                    Awaitility.await().atMost(30, TimeUnit.SECONDS).alias("live after catching up")
                            .until(() -> fast.prompts.get() == PROMPTS + LIVE_DURING_CATCH_UP + 1);
                    assertGapFree(fast.seqs, 1, fast.lastSeq());
                }
            }
        }
    }
}
