package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A receiver the operator registered: where deliveries go, the secret that signs them, and the event kinds it
 * wants. Endpoints come only from the operator's file, never from a client.
 *
 * <p>The file ({@code --webhooks}, owner-only) is JSON:
 * <pre>{"endpoints": [{"id": "studio", "url": "https://studio.example/hooks/improv",
 *   "secret": "whsec_…base64…", "events": ["room.started", "participant.joined"]}]}</pre>
 * {@code events} may be {@code ["*"]} for all kinds. Secrets are Standard Webhooks secrets: {@code whsec_} and the
 * base64 of 24 to 64 random bytes.
 */
public record WebhookEndpoint(String id, URI url, byte[] key, Set<WebhookEventType> events) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final int MAX_ENDPOINTS = 16;

    public WebhookEndpoint {
        events = Set.copyOf(events);
    }

    public boolean wants(WebhookEventType type) {
        return events.contains(type);
    }

    @Override
    public String toString() { // never the key
        return "WebhookEndpoint[" + id + " " + url + " " + events + "]";
    }

    /**
     * Reads the endpoints file (start-up, blocking I/O).
     *
     * @throws IllegalArgumentException naming the endpoint, the field and the reason
     */
    public static List<WebhookEndpoint> load(Path file) throws IOException {
        dev.improv.server.config.Secrets.requireOwnerOnly(file, "webhooks file");
        JsonNode root;
        try {
            root = ProtocolCodec.mapper().readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("webhooks file " + file + " is not valid JSON");
        }
        if (root == null || !root.path("endpoints").isArray()) {
            throw new IllegalArgumentException("webhooks file " + file + " needs an 'endpoints' array");
        }
        List<WebhookEndpoint> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode e : root.path("endpoints")) {
            String id = e.path("id").asText("");
            String where = "webhooks file " + file + ", endpoint '" + id + "': ";
            if (!ID.matcher(id).matches() || !ids.add(id)) {
                throw new IllegalArgumentException(where + "'id' must be unique, 1-64 of A-Z a-z 0-9 . _ -");
            }
            URI url;
            try {
                url = URI.create(e.path("url").asText(""));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(where + "'url' is not a URL");
            }
            if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
                throw new IllegalArgumentException(where + "'url' must be an http or https URL with a host");
            }
            out.add(new WebhookEndpoint(id, url, secretKey(e.path("secret").asText(""), where), events(e, where)));
        }
        if (out.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("webhooks file " + file + ": at most " + MAX_ENDPOINTS + " endpoints");
        }
        return out;
    }

    private static byte[] secretKey(String secret, String where) {
        if (!secret.startsWith("whsec_")) {
            throw new IllegalArgumentException(where + "'secret' must be whsec_ followed by base64 "
                    + "(e.g. whsec_$(openssl rand -base64 32))");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(6));
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException(where + "'secret' after whsec_ is not base64");
        }
        if (key.length < 24 || key.length > 64) {
            throw new IllegalArgumentException(where + "'secret' must hold 24 to 64 bytes");
        }
        return key;
    }

    private static Set<WebhookEventType> events(JsonNode e, String where) {
        JsonNode list = e.path("events");
        if (!list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(where + "'events' must list event kinds, or [\"*\"] for all");
        }
        Set<WebhookEventType> out = EnumSet.noneOf(WebhookEventType.class);
        for (JsonNode kind : list) {
            if (kind.asText().equals("*")) {
                return EnumSet.allOf(WebhookEventType.class);
            }
            WebhookEventType t = WebhookEventType.fromWire(kind.asText());
            if (t == null) {
                throw new IllegalArgumentException(where + "'events' names '" + kind.asText() + "'; known: "
                        + java.util.Arrays.stream(WebhookEventType.values()).map(WebhookEventType::wireName).toList());
            }
            out.add(t);
        }
        return out;
    }
}
