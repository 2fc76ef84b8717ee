package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.slf4j.LoggerFactory;

/**
 * The log flood: clients' protocol mistakes are counted under their own codes and logged within a budget, without
 * stack traces. {@code @Isolated} because it counts every line of the JVM's root logger: another test class's
 * server logging at the same time (the integration tests run two classes at once) would count too.
 */
@Tag("integration")
@Isolated("counts the lines of the JVM-wide root logger")
class LogFloodEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startWithLog(data, "--max-connections-per-address", "200", "--reconnects-per-minute", "30",
                "--reconnect-burst", "5", "--max-observers", "8", "--fsync", "OFF");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void protocolErrorsAreCountedUnderTheirOwnCodesAndLoggedBoundedly() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        root.addAppender(lines);
        try (RoomProbe room = RoomProbe.open(server.port(), "test-admin-key", "{\"observers\":8}")) {
            int[] attacks = new int[3];
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int kind = i % 3;
                try (RawWebSocket ws = RawWebSocket.open(server.port(), "/ws/rooms/" + room.roomId() + "?token="
                        + room.token("observer", i % 8), 0)) {
                    if (!ws.readFrame().text().contains("\"welcome\"")) {
                        continue; // refused: reconnecting too often with this link (counted, not logged)
                    }
                    switch (kind) {
                        case 0 -> ws.sendFrame(0x1, new byte[] {(byte) 0xC3, (byte) 0x28}, true); // bad UTF-8
                        case 1 -> ws.sendFrame(0x3, new byte[] {1, 2, 3}, true); // reserved opcode
                        default -> { // a fragmented message larger than the frame limit (4 x 64 KiB)
                            byte[] part = new byte[60_000];
                            ws.sendFrame(0x1, part, false);
                            for (int f = 0; f < 5; f++) {
                                ws.sendFrame(0x0, part, false);
                            }
                        }
                    }
                    int code = ws.readUntilClose();
                    int expected = kind == 0 ? 1007 : kind == 1 ? 1002 : 1009;
                    attacks[kind]++;
                    if (code != expected) {
                        wrong.add("kind " + kind + ": " + code);
                    }
                }
            }
            assertTrue(room.promptLatencyMs() < 1000, "the room works");
            String metrics = server.metrics();
            long logged = lines.list.size();
            long stackTraces = lines.list.stream().filter(e -> e.getThrowableProxy() != null).count();
            System.out.printf("log flood: 100 bad connections (%s admitted) -> %d log lines, %d with a stack trace%n",
                    java.util.Arrays.toString(attacks), logged, stackTraces);
            assertEquals(0, stackTraces, "no stack traces for clients' mistakes");
            assertTrue(logged <= 65, "log lines are budgeted: " + logged);
            assertTrue(wrong.isEmpty(), "answered with 1007/1002/1009: " + wrong);
            assertTrue(attacks[0] >= 10 && attacks[1] >= 10 && attacks[2] >= 10, java.util.Arrays.toString(attacks));
            assertTrue(metrics.contains("improv_errors_total{code=\"invalid_utf8\"}"));
            assertTrue(metrics.contains("improv_errors_total{code=\"protocol_error\"}"));
            assertTrue(metrics.contains("improv_errors_total{code=\"frame_too_large\"}"));
            assertTrue(metrics.contains("improv_errors_total{code=\"internal\"} 0.0"), "nothing counted as internal");
        } finally {
            root.detachAppender(lines);
        }
    }

}
