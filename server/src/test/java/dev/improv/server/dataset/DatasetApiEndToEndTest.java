package dev.improv.server.dataset;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestServer;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consent and export routes of a real server: consent texts, a performer reading and withdrawing their consent
 * with their lobby link, an export job run off the event loops and polled to the end, bad requests named.
 */
@Tag("integration")
class DatasetApiEndToEndTest {
    @TempDir
    Path data;

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ProtocolCodec.mapper().readTree(r.body());
    }

    @Test
    void consentLifecycleAndAnExportJob() throws Exception {
        ScriptedSessions.write(data, "20251202T000000Z-room1-aaaa", 0, "pool-en", 1, 6);
        Path abandoned = java.nio.file.Files.createDirectories(data.resolve("exports/old.partial-0123abcd/shards"));
        java.nio.file.Files.writeString(abandoned.resolve("improv-000000.tar"), "cut short by a crash");
        try (TestServer server = TestServer.startWithLog(data)) {
            assertTrue(!java.nio.file.Files.exists(abandoned.getParent()), "an unfinished export is removed at start");
            String text = "{\"version\":1,\"text\":\"I agree to training use.\",\"scopes\":[\"training\"]}";
            assertEquals(201, server.admin("POST", "/api/consent/texts", text).statusCode());
            assertEquals(200, server.admin("POST", "/api/consent/texts", text).statusCode());
            HttpResponse<String> changed = server.admin("POST", "/api/consent/texts",
                    "{\"version\":1,\"text\":\"Other words.\",\"scopes\":[\"training\"]}");
            assertEquals(409, changed.statusCode(), changed.body());
            HttpResponse<String> badScope = server.admin("POST", "/api/consent/texts",
                    "{\"version\":2,\"text\":\"x\",\"scopes\":[\"mining\"]}");
            assertEquals(400, badScope.statusCode());
            assertEquals("scopes", json(badScope).path("field").asText());

            assertEquals(201, server.admin("POST", "/api/pools", "{\"id\":\"pool-en\",\"consentVersion\":1,"
                    + "\"consentText\":\"I agree to training use.\",\"roomSize\":2}").statusCode());
            JsonNode link = json(server.admin("POST", "/api/pools/pool-en/links",
                    "{\"role\":\"performer\",\"name\":\"Ana\"}"));
            String token = URLEncoder.encode(link.path("token").asText(), StandardCharsets.UTF_8);
            JsonNode mine = json(server.request("GET", "/api/consent/mine?token=" + token, null, null));
            assertEquals(1, mine.path("consentVersion").asInt());
            assertEquals("I agree to training use.", mine.path("text").path("text").asText());
            assertEquals("[\"training\"]", mine.path("text").path("scopes").toString());
            HttpResponse<String> w = server.request("POST", "/api/consent/mine/withdrawals?token=" + token,
                    "{\"scopes\":[\"training\"],\"reason\":\"changed my mind\"}", null);
            assertEquals(201, w.statusCode(), w.body());
            assertEquals(link.path("participantId").asText(), json(w).path("pid").asText());
            assertEquals(1, json(server.admin("GET", "/api/consent/withdrawals", null)).path("withdrawals").size());
            assertEquals(401, server.request("GET", "/api/consent/mine?token=forged", null, null).statusCode());
            JsonNode myPay = json(server.request("GET", "/api/pay/mine?token=" + token, null, null));
            assertEquals("pool-en", myPay.path("pool").asText());
            assertEquals(0, myPay.path("days").size());
            assertEquals(401, server.request("GET", "/api/pay/mine?token=forged", null, null).statusCode());

            // a pay statement of a pool nobody played in yet: no lines; CSV with its header; bad input named
            assertEquals(0, json(server.admin("GET", "/api/pools/pool-en/pay", null)).path("days").size());
            assertEquals("pool,performer,day,lobby_ms,offer_ms,scene_ms,scenes_completed\r\n",
                    server.admin("GET", "/api/pools/pool-en/pay.csv", null).body());
            HttpResponse<String> range = server.admin("GET", "/api/pools/pool-en/pay?from=2025-12-09&to=2025-12-01", null);
            assertEquals(400, range.statusCode());
            assertEquals("from", json(range).path("field").asText());
            assertEquals("to", json(server.admin("GET", "/api/pools/pool-en/pay?to=yesterday", null)).path("field").asText());
            assertEquals(404, server.admin("GET", "/api/pools/nope/pay.csv", null).statusCode());

            HttpResponse<String> unknown = server.admin("POST", "/api/exports", "{\"sessions\":[\"nope\"]}");
            assertEquals(400, unknown.statusCode(), unknown.body());
            assertEquals("sessions", json(unknown).path("field").asText());
            HttpResponse<String> dates = server.admin("POST", "/api/exports", "{\"from\":\"2025-12-09\",\"to\":\"2025-12-01\"}");
            assertEquals("from", json(dates).path("field").asText());
            assertEquals("pools", json(server.admin("POST", "/api/exports", "{\"pools\":[\"no-pool\"]}")).path("field")
                    .asText());

            HttpResponse<String> started = server.admin("POST", "/api/exports", "{\"name\":\"first\",\"vendor\":\"07\"}");
            assertEquals(202, started.statusCode(), started.body());
            String id = json(started).path("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> !json(server.admin("GET", "/api/exports/" + id, null))
                    .path("state").asText().matches("queued|running"));
            JsonNode job = json(server.admin("GET", "/api/exports/" + id, null));
            assertEquals("done", job.path("state").asText(), job.toString());
            assertEquals(4, job.path("samples").asInt());
            ManifestVerifier.Report r = ManifestVerifier.verify(data.resolve("exports/first"), data.resolve(
                    "dataset-signing.pub"));
            assertTrue(r.ok(), r.problems().toString());
            assertEquals(1, json(server.admin("GET", "/api/exports", null)).path("exports").size());
            assertEquals(404, server.admin("GET", "/api/exports/nope", null).statusCode());
            assertEquals("name", json(server.admin("POST", "/api/exports", "{\"name\":\"first\"}")).path("field").asText());

            // the operator CLI starts one and follows it to the end
            Path key = data.resolve("cli-admin-key");
            java.nio.file.Files.writeString(key, "test-admin-key\n");
            java.io.StringWriter out = new java.io.StringWriter();
            int code = dev.improv.server.cli.OperatorCli.run(new java.io.PrintWriter(out), new java.io.PrintWriter(out),
                    "export", "--format", "webdataset", "--name", "from-cli", "--scope", "training",
                    "--server", server.httpBase(), "--admin-key-file", key.toString());
            assertEquals(0, code, out.toString());
            assertTrue(out.toString().contains("done: 4 samples in 1 shards"), out.toString());
            assertTrue(ManifestVerifier.verify(data.resolve("exports/from-cli"), null).ok());
            out.getBuffer().setLength(0);
            assertEquals(1, dev.improv.server.cli.OperatorCli.run(new java.io.PrintWriter(out),
                    new java.io.PrintWriter(out), "export", "--format", "webdataset", "--scope", "mining",
                    "--server", server.httpBase(), "--admin-key-file", key.toString()), out.toString());
            assertTrue(out.toString().contains("unknown consent scope 'mining'"), out.toString());
        }
    }
}
