package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;

/** Media recorder links for the media tests: a recorder link with the {@code media} scope, as operators get one. */
final class MediaLinks {
    private MediaLinks() {
    }

    /** {@code POST /api/rooms/{id}/links {"role":"recorder","media":true}}: the token of the room's media recorder. */
    static String mediaRecorderToken(TestServer server, String roomId) throws IOException, InterruptedException {
        HttpResponse<String> r = server.admin("POST", "/api/rooms/" + roomId + "/links",
                "{\"role\":\"recorder\",\"name\":\"Tape\",\"media\":true}");
        if (r.statusCode() != 201) {
            throw new IllegalStateException("no media recorder link: " + r.statusCode() + " " + r.body());
        }
        return ProtocolCodec.mapper().readTree(r.body()).path("token").asText();
    }

    /** A member_joined of a member with the media capability (found by type: its name is "Tape"). */
    static boolean mediaRecorderJoined(JsonNode m) {
        if (!m.path("type").asText().equals("member_joined")) {
            return false;
        }
        for (JsonNode c : m.path("member").path("capabilities")) {
            if (c.asText().equals("media")) {
                return true;
            }
        }
        return false;
    }
}
