package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Our server: rooms and signed join links from the admin API, the real protocol on the wire. Prompts and
 * marks are room events, which every member receives, the sender included.
 */
final class ImprovDialect implements Dialect {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CREATORS = 4;

    private final String httpBase;
    private final String adminKey;

    ImprovDialect(String host, int port, String adminKey) {
        this.httpBase = "http://" + host + ":" + port;
        this.adminKey = adminKey;
    }

    @Override
    public String name() {
        return "improv";
    }

    @Override
    public List<Plan.Room> prepare(int rooms, Plan.Shape shape) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String body = "{\"name\":\"load\",\"performers\":" + shape.performers() + ",\"moderators\":"
                + shape.moderators() + ",\"recorders\":" + shape.recorders() + ",\"observers\":"
                + shape.observers() + "}";
        ExecutorService pool = Executors.newFixedThreadPool(CREATORS);
        try {
            List<Future<Plan.Room>> made = new ArrayList<>();
            for (int i = 0; i < rooms; i++) {
                int index = i;
                made.add(pool.submit(() -> create(http, body, index)));
            }
            List<Plan.Room> out = new ArrayList<>(rooms);
            for (Future<Plan.Room> f : made) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private Plan.Room create(HttpClient http, String body, int index) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(httpBase + "/api/rooms"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("room not created: HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode created = JSON.readTree(r.body());
        String roomId = created.path("room").path("id").asText();
        List<Plan.Member> members = new ArrayList<>();
        for (JsonNode link : created.path("links")) {
            String token = URLEncoder.encode(link.path("token").asText(), StandardCharsets.US_ASCII);
            members.add(new Plan.Member(index, members.size(), link.path("role").asText(),
                    link.path("participantId").asText(), "/ws/rooms/" + roomId + "?token=" + token));
        }
        return new Plan.Room(index, roomId, members);
    }

    @Override
    public String metricsText() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(httpBase + "/metrics")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminKey).GET().build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : null;
    }

    @Override
    public Kind classify(Channel channel, Plan.Member member, ByteBuf text) {
        // Jackson writes the type id first: {"type":"welcome",...
        if (startsWith(text, "{\"type\":\"welcome\"")) {
            return Kind.WELCOME;
        }
        if (startsWith(text, "{\"type\":\"error\"")) {
            return Kind.ERROR;
        }
        return Kind.DATA;
    }

    static boolean startsWith(ByteBuf buf, String prefix) {
        int at = buf.readerIndex();
        if (buf.readableBytes() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (buf.getByte(at + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String signal(Plan.Member to, long key, int bytes) {
        return "{\"type\":\"signal\",\"to\":\"" + to.peerId() + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\""
                + Dialect.padded(key, bytes - 80) + "\"}}";
    }

    @Override
    public boolean echoesToSender() {
        return true;
    }
}
