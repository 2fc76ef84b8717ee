package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.SessionMeta;
import dev.improv.server.testing.KillableServer;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/sessions/{id}/log} streams the stored bytes: a session of 96 MB is served whole by a server
 * process with a 48 MB heap (building the answer in memory, as before, cannot fit), chunked, byte for byte.
 */
@Tag("integration")
class SessionLogStreamingTest {
    private static final String ID = "20261202T000000Z-bigroom-abcd";
    private static final int LINES = 96 * 1024;

    @TempDir
    Path data;

    @Test
    void aSessionLargerThanTheHeapIsStreamedWhole() throws Exception {
        Path dir = Files.createDirectories(data.resolve("sessions").resolve(ID));
        Files.write(dir.resolve("meta.json"), ProtocolCodec.mapper().writeValueAsBytes(new SessionMeta(ID, "bigroom",
                "Big", 1_700_000_000_000_000L, 1_700_000_100_000_000L, 1, "test",
                List.of(new SessionMeta.ParticipantInfo("m-1", "Mo", Role.MODERATOR, 1_700_000_000_000_000L, 1)),
                List.of())));
        String pad = "x".repeat(1_000);
        long written = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve("events.jsonl")), 1 << 16)) {
            for (int seq = 1; seq <= LINES; seq++) {
                byte[] line = ("{\"type\":\"prompt\",\"seq\":" + seq + ",\"ts\":" + (1_700_000_000_000_000L + seq)
                        + ",\"actor\":\"m-1\",\"text\":\"" + pad + "\",\"scene\":0}\n").getBytes(StandardCharsets.UTF_8);
                out.write(line);
                written += line.length;
            }
        }
        assertTrue(written > 96L << 20, "the session is larger than the server's heap: " + written);
        try (KillableServer server = KillableServer.startWithHeap(data, "48m")) {
            HttpResponse<InputStream> answer = server.adminStream("/api/sessions/" + ID + "/log");
            assertEquals(200, answer.statusCode());
            assertTrue(answer.headers().firstValue("content-length").isEmpty(), "no length: chunked, "
                    + answer.headers().map());
            long bytes = 0;
            long lines = 0;
            byte[] tail = new byte[0];
            byte[] buf = new byte[1 << 16];
            try (InputStream in = answer.body()) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    bytes += n;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                        }
                    }
                    byte[] joined = java.util.Arrays.copyOf(tail, tail.length + n);
                    System.arraycopy(buf, 0, joined, tail.length, n);
                    tail = java.util.Arrays.copyOfRange(joined, Math.max(0, joined.length - 2000), joined.length);
                }
            }
            assertEquals(written, bytes, "every stored byte, nothing more");
            assertEquals(LINES, lines);
            assertTrue(new String(tail, StandardCharsets.UTF_8).contains("\"seq\":" + LINES + ","), "the last event");
            assertEquals(200, server.admin("GET", "/api/sessions/" + ID, null).statusCode(),
                    "the server is still well: " + server.output());
        }
    }
}
