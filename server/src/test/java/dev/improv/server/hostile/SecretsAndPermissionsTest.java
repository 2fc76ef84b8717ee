package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets and the data directory, against the real server process: a key given by file is never printed (the
 * banner says where it is), a generated one is not printed either, and every file and folder the server creates
 * under its data directory is owner-only.
 */
@Tag("integration")
class SecretsAndPermissionsTest {
    private static final String KEY = "a-key-the-operator-chose-" + System.nanoTime();

    @TempDir
    Path tmp;

    @Test
    void aKeyGivenByFileIsNeverPrintedAndTheBannerSaysWhereItIs() throws Exception {
        Path keyFile = tmp.resolve("admin.key");
        Files.writeString(keyFile, KEY + "\n");
        Path secretFile = tmp.resolve("token.secret");
        Files.writeString(secretFile, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        Path data = tmp.resolve("data");
        try (ServerProcess server = ServerProcess.start(List.of("-Xmx128m"), List.of("--host", "127.0.0.1",
                "--port", "0", "--data-dir", data.toString(), "--admin-key-file", keyFile.toString(),
                "--token-secret-file", secretFile.toString(), "--no-media-recorder"))) {
            try (RoomProbe room = RoomProbe.open(server.port(), KEY, "{}")) {
                assertTrue(room.promptLatencyMs() < 5000, "the key from the file works");
            }
            String out = bannerOf(server);
            assertFalse(out.contains(KEY), "the key is not printed:\n" + out);
            assertTrue(out.contains("admin key: in " + keyFile.toAbsolutePath()), out);
            assertFalse(Files.exists(data.resolve("admin-key")), "no second key in the data dir");
            assertFalse(Files.exists(data.resolve("token-secret")), "no second secret in the data dir");
        }
    }

    /** The output up to the end of the banner (it is read on another thread, after the port line). */
    private static String bannerOf(ServerProcess server) {
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> server.output().stream()
                .anyMatch(l -> l.contains("/api/rooms")));
        return String.join("\n", server.output());
    }

    @Test
    void everythingTheServerCreatesInItsDataDirectoryIsOwnerOnly() throws Exception {
        Path data = tmp.resolve("fresh").resolve("data");
        try (ServerProcess server = ServerProcess.start(List.of("-Xmx128m"), List.of("--host", "127.0.0.1",
                "--port", "0", "--data-dir", data.toString(), "--no-media-recorder"))) {
            String key = Files.readString(data.resolve("admin-key")).trim();
            String out = bannerOf(server);
            assertFalse(out.contains(key), "a generated key is not printed either");
            assertTrue(out.contains("admin key: in " + data.resolve("admin-key")), out);
            try (RoomProbe room = RoomProbe.open(server.port(), key, "{}")) {
                room.promptLatencyMs();
                // The write-ahead log holds the session while the room runs; ending the room exports it to
                // sessions/<id>/, so that both the log's segments and the exported files are checked.
                HttpResponse<String> ended = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/api/rooms/" + room.roomId()))
                        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertTrue(ended.statusCode() / 100 == 2, "room ended: " + ended.statusCode() + " " + ended.body());
                Path events = data.resolve("sessions").resolve(room.sessionId()).resolve("events.jsonl");
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(events));
                assertTrue(Files.isDirectory(data.resolve("wal")), "the write-ahead log is in the data dir");
            }
        }
        List<String> wrong = new ArrayList<>();
        List<Path> all;
        try (Stream<Path> walk = Files.walk(data)) {
            all = walk.toList();
        }
        for (Path p : all) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
            String expected = Files.isDirectory(p) ? "rwx------" : "rw-------";
            if (!mode.equals(expected)) {
                wrong.add(data.relativize(p) + " " + mode);
            }
        }
        System.out.println("data dir: " + all.size() + " entries checked");
        assertTrue(all.size() >= 5, "secrets, sessions folder, a session folder, its log: " + all);
        assertEquals(List.of(), wrong, "owner-only");
    }
}
