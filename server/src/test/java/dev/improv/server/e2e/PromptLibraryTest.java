package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class PromptLibraryTest {
    @TempDir
    Path dir;

    @Test
    void moderatorsReadTheOperatorsLibraryOthersDoNot() throws Exception {
        Path library = Files.writeString(dir.resolve("prompts.json"),
                "{\"categories\":[{\"name\":\"Family\",\"prompts\":[\"two siblings, last slice of cake\"]}]}");
        try (TestServer server = TestServer.start(dir.resolve("data"), "--prompt-library", library.toString())) {
            JsonNode room = server.createRoom("{}");
            String mod = TestServer.link(room, "moderator", 0).path("token").asText();
            String performer = TestServer.link(room, "performer", 0).path("token").asText();
            var ok = server.request("GET", "/api/prompts?token=" + mod, null, null);
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("two siblings, last slice of cake"));
            assertEquals(403, server.request("GET", "/api/prompts?token=" + performer, null, null).statusCode());
            assertEquals(401, server.request("GET", "/api/prompts?token=forged", null, null).statusCode());
        }
        try (TestServer none = TestServer.start(dir.resolve("data2"))) {
            assertEquals(404, none.request("GET", "/api/prompts?token=x", null, null).statusCode());
        }
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"categories\":[{\"name\":\"X\"}]}");
        assertThrows(IllegalArgumentException.class,
                () -> TestServer.start(dir.resolve("data3"), "--prompt-library", broken.toString()));
    }
}
