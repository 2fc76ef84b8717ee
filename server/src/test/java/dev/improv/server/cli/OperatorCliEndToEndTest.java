package dev.improv.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every operator subcommand against a real server on loopback, with good and bad input. */
@Tag("integration")
class OperatorCliEndToEndTest {
    @TempDir
    Path temp;
    private TestServer server;
    private Path keyFile;

    /** One run of the CLI: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return ProtocolCodec.mapper().readTree(out);
        }
    }

    @BeforeEach
    void start() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Path keys = data.resolve("token-keys.json");
        Files.writeString(keys, "{\"signing\":\"k1\",\"keys\":{\"k1\":\"" + "s".repeat(40) + "\"}}");
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
        server = TestServer.startWithLog(data, "--no-media-recorder");
        keyFile = temp.resolve("admin-key");
        Files.writeString(keyFile, "test-admin-key\n");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Run cli(String... args) {
        return cliWith(keyFile, server.httpBase(), args);
    }

    private static Run cliWith(Path key, String url, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", url, "--admin-key-file", key.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = OperatorCli.run(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void roomsLinksAndTokens() throws Exception {
        Run created = cli("rooms", "create", "--name", "Friday", "--performers", "Ana,Ben", "--observers", "0");
        assertEquals(0, created.code(), created.err());
        assertTrue(created.out().startsWith("room "), created.out());
        assertTrue(created.out().contains("performer  Ana"), created.out());
        Run json = cli("rooms", "create", "--json");
        assertEquals(0, json.code(), json.err());
        String room = json.json().path("room").path("id").asText();
        assertEquals(5, json.json().path("links").size());

        Run list = cli("rooms", "list");
        assertTrue(list.out().contains(room) && list.out().contains("Friday"), list.out());
        assertEquals(2, cli("rooms", "list", "--json").json().path("rooms").size());
        Run show = cli("rooms", "show", room);
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("room " + room), show.out());

        Run link = cli("links", "--room", room, "--role", "observer", "--name", "Press");
        assertEquals(0, link.code(), link.err());
        assertTrue(link.out().contains("observer") && link.out().contains("Press"), link.out());
        Run token = cli("tokens", "mint", "--room", room, "--role", "performer", "--name", "Cleo");
        assertEquals(0, token.code(), token.err());
        String jwt = token.out().trim();
        assertEquals(3, jwt.split("\\.").length, jwt);
        JsonNode info = ProtocolCodec.mapper().readTree(server.request("GET", "/api/token-info?token=" + jwt, null,
                null).body());
        assertEquals(room, info.path("room").asText());
        assertEquals("Cleo", info.path("name").asText());

        Run closed = cli("rooms", "close", room);
        assertEquals(0, closed.code(), closed.err());
        assertEquals("room " + room + " closed\n", closed.out());
    }

    @Test
    void badInputGetsAnExitCodeAndASentence() throws Exception {
        Run unknown = cli("rooms", "close", "no-such-room");
        assertEquals(5, unknown.code());
        assertTrue(unknown.err().contains("no open room 'no-such-room'") && unknown.err().contains("ROOM_NOT_FOUND"),
                unknown.err());
        assertEquals(5, cli("links", "--room", "no-such-room", "--role", "performer").code());
        assertEquals(5, cli("pools", "show", "nope").code());
        assertEquals(5, cli("sessions", "show", "no-such-session").code());

        Run badField = cli("rooms", "create", "--ttl-seconds", "-5");
        assertEquals(1, badField.code());
        assertTrue(badField.err().contains("ttlSeconds"), badField.err());
        Run badRole = cli("links", "--room", "x", "--role", "boss");
        assertTrue(badRole.code() == 1 || badRole.code() == 5, badRole.toString());
        Run usage = cli("rooms", "close");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("ROOM"), usage.err());
        Run slash = cli("rooms", "show", "../../api/keys");
        assertEquals(5, slash.code(), slash.toString()); // one encoded segment: an unknown room, not another route

        Path wrong = temp.resolve("wrong-key");
        Files.writeString(wrong, "not-the-admin-key-123\n");
        Run refused = cliWith(wrong, server.httpBase(), "rooms", "list");
        assertEquals(4, refused.code());
        assertTrue(refused.err().contains("refused the admin key from " + wrong), refused.err());
        assertFalse(refused.err().contains("not-the-admin-key-123") || refused.out().contains("not-the-admin-key"),
                "the key is never printed");
        Run noFile = cliWith(temp.resolve("missing"), server.httpBase(), "rooms", "list");
        assertEquals(2, noFile.code());
        assertTrue(noFile.err().contains("no admin key file at"), noFile.err());

        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Run down = cliWith(keyFile, "http://127.0.0.1:" + closedPort, "rooms", "list");
        assertEquals(3, down.code());
        assertTrue(down.err().contains("cannot reach the server at http://127.0.0.1:" + closedPort), down.err());
        Run remote = cliWith(keyFile, "http://192.0.2.1:8080", "rooms", "list"); // refused before any traffic
        assertEquals(2, remote.code());
        assertTrue(remote.err().contains("clear text"), remote.err());
    }

    @Test
    void poolsSessionsAndExport() throws Exception {
        Path consent = temp.resolve("consent.txt");
        Files.writeString(consent, "I agree to be recorded.");
        Run opened = cli("pools", "open", "friday-call", "--consent-version", "1", "--consent-file",
                consent.toString());
        assertEquals(0, opened.code(), opened.err());
        assertTrue(opened.out().contains("pool friday-call open") && opened.out().contains("lobby.html"),
                opened.out());
        assertEquals(1, cli("pools", "open", "friday-call", "--consent-version", "1", "--consent-file",
                consent.toString()).code()); // already open: POOL_EXISTS
        assertTrue(cli("pools", "list").out().contains("friday-call"));
        assertEquals(0, cli("pools", "show", "friday-call").code());
        assertEquals(0, cli("links", "--pool", "friday-call", "--role", "performer").code());
        Run time = cli("pools", "time", "friday-call");
        assertEquals(0, time.code(), time.err());
        assertTrue(time.out().startsWith("PERFORMER"), time.out());

        String room = cli("rooms", "create", "--json").json().path("room").path("id").asText();
        String session = cli("rooms", "list", "--json").json().path("rooms").path(0).path("sessionId").asText();
        assertEquals(0, cli("rooms", "close", room).code());
        Run sessions = cli("sessions", "list");
        assertTrue(sessions.out().contains(session), sessions.out());
        Run show = cli("sessions", "show", session);
        assertEquals(0, show.code(), show.err());
        Path out = temp.resolve("export");
        Run export = cli("export", session, "--out", out.toString());
        assertEquals(0, export.code(), export.err());
        Path events = out.resolve(session).resolve("events.jsonl");
        assertTrue(Files.size(events) > 0, export.out());
        String firstLine = Files.readAllLines(events, StandardCharsets.UTF_8).get(0);
        assertEquals(1, ProtocolCodec.mapper().readTree(firstLine).path("seq").asLong(), firstLine);
        assertTrue(Files.exists(out.resolve(session).resolve("session.json"))
                || Files.list(out.resolve(session)).count() > 1, "dataset files next to the log");
    }

    @Test
    void keysRotateAndRetire() throws Exception {
        Run list = cli("keys", "list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("signing: k1"), list.out());
        String room = cli("rooms", "create", "--json").json().path("room").path("id").asText();
        String before = mint(room);

        Run rotated = cli("keys", "rotate", "--kid", "k2");
        assertEquals(0, rotated.code(), rotated.err());
        assertTrue(rotated.out().contains("signing key is now k2"), rotated.out());
        String secret = ProtocolCodec.mapper().readTree(Files.readString(temp.resolve("data/token-keys.json")))
                .path("keys").path("k2").asText();
        assertTrue(secret.length() >= 32);
        assertFalse(rotated.out().contains(secret) || rotated.err().contains(secret), "the secret is not printed");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                temp.resolve("data/token-keys.json"))));
        String after = mint(room);
        assertEquals("k2", kid(after));
        assertEquals(200, tokenInfo(before), "the previous key still verifies");

        assertEquals(2, cli("keys", "rotate", "--kid", "k2").code(), "a taken key id");
        Run signing = cli("keys", "retire", "k2");
        assertEquals(2, signing.code());
        assertTrue(signing.err().contains("signing key"), signing.err());
        Run retired = cli("keys", "retire", "k1");
        assertEquals(0, retired.code(), retired.err());
        assertTrue(retired.out().contains("retired: k1"), retired.out());
        assertEquals(401, tokenInfo(before), "a retired key's token is refused");
        assertEquals(200, tokenInfo(after));
    }

    @Test
    void theJarWithACommandRunsTheCliAndWithoutOneTheServer() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.improv.server.Main",
                "rooms", "list", "--server", server.httpBase(), "--admin-key-file", keyFile.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("no open rooms"), output);
        Process wrong = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.improv.server.Main", "rooms", "close", "nope", "--server", server.httpBase(),
                "--admin-key-file", keyFile.toString()).redirectErrorStream(true).start();
        wrong.getInputStream().readAllBytes();
        assertTrue(wrong.waitFor(60, TimeUnit.SECONDS));
        assertEquals(5, wrong.exitValue());
    }

    private String mint(String room) {
        return cli("tokens", "mint", "--room", room, "--role", "performer").out().trim();
    }

    private int tokenInfo(String token) throws Exception {
        return server.request("GET", "/api/token-info?token=" + token, null, null).statusCode();
    }

    private static String kid(String jwt) throws Exception {
        return ProtocolCodec.mapper().readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0])).path("kid").asText();
    }
}
