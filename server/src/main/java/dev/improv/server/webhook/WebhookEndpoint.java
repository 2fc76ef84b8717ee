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
 * wants. Endpoints come from the operator: the file of {@code --webhooks}, read at start, or the admin API
 * ({@code POST /api/webhooks}, kept durably in the data directory) — never from a client.
 *
 * <p>The file ({@code --webhooks}, owner-only) is JSON:
 * <pre>{"endpoints": [{"id": "studio", "url": "https://studio.example/hooks/improv",
 *   "secret": "whsec_…base64…", "events": ["room.started", "participant.joined"]}]}</pre>
 * {@code events} may be {@code ["*"]} for all kinds. Secrets are Standard Webhooks secrets: {@code whsec_} and the
 * base64 of 24 to 64 random bytes.
 *
 * @param fromFile true for an endpoint of the operator's file (the admin API cannot remove it)
 */
public record WebhookEndpoint(String id, URI url, byte[] key, Set<WebhookEventType> events, boolean fromFile) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Endpoints at most, from the file and the admin API together. */
    public static final int MAX_ENDPOINTS = 16;
    private static final int MAX_URL_CHARS = 2048;

    public WebhookEndpoint {
        events = Set.copyOf(events);
    }

    public WebhookEndpoint(String id, URI url, byte[] key, Set<WebhookEventType> events) {
        this(id, url, key, events, true);
    }

    /** A field of an endpoint that cannot be used, with the reason (the admin API answers it as 400). */
    public static final class InvalidField extends IllegalArgumentException {
        private final String field;

        InvalidField(String field, String reason) {
            super("'" + field + "' " + reason);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    public boolean wants(WebhookEventType type) {
        return events.contains(type);
    }

    /** The secret in its configuration form ({@code whsec_} + base64), as the registered-endpoints file keeps it. */
    String secret() {
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    List<String> eventNames() {
        return events.stream().map(WebhookEventType::wireName).sorted().toList();
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
            try {
                WebhookEndpoint endpoint = fromJson(e, true);
                if (!ids.add(endpoint.id())) {
                    throw new InvalidField("id", "must be unique");
                }
                out.add(endpoint);
            } catch (InvalidField bad) {
                throw new IllegalArgumentException(where + bad.getMessage());
            }
        }
        if (out.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("webhooks file " + file + ": at most " + MAX_ENDPOINTS + " endpoints");
        }
        return out;
    }

    /** An endpoint from its JSON form ({@code id, url, secret, events}). */
    static WebhookEndpoint fromJson(JsonNode e, boolean fromFile) {
        List<String> events = new ArrayList<>();
        JsonNode list = e.path("events");
        if (list.isArray()) {
            list.forEach(kind -> events.add(kind.asText()));
        }
        return of(e.path("id").asText(""), e.path("url").asText(""), list.isArray() ? events : null,
                e.path("secret").asText(""), fromFile);
    }

    /**
     * Checks and builds an endpoint.
     *
     * @throws InvalidField naming the field and the reason
     */
    static WebhookEndpoint of(String id, String url, List<String> events, String secret, boolean fromFile) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new InvalidField("id", "must be 1-64 of A-Z a-z 0-9 . _ -");
        }
        return new WebhookEndpoint(id, url(url), secretKey(secret), events(events), fromFile);
    }

    private static URI url(String text) {
        if (text == null || text.length() > MAX_URL_CHARS) {
            throw new InvalidField("url", "must be an http or https URL of at most " + MAX_URL_CHARS + " characters");
        }
        URI url;
        try {
            url = new URI(text);
        } catch (java.net.URISyntaxException bad) {
            throw new InvalidField("url", "is not a URL");
        }
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
            throw new InvalidField("url", "must be an http or https URL with a host");
        }
        return url;
    }

    /** A new random secret in configuration form: {@code whsec_} and the base64 of 32 random bytes. */
    static String newSecret() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    private static byte[] secretKey(String secret) {
        if (secret == null || !secret.startsWith("whsec_")) {
            throw new InvalidField("secret", "must be whsec_ followed by base64 "
                    + "(e.g. whsec_$(openssl rand -base64 32))");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(6));
        } catch (IllegalArgumentException bad) {
            throw new InvalidField("secret", "after whsec_ is not base64");
        }
        if (key.length < 24 || key.length > 64) {
            throw new InvalidField("secret", "must hold 24 to 64 bytes");
        }
        return key;
    }

    private static Set<WebhookEventType> events(List<String> list) {
        if (list == null || list.isEmpty()) {
            throw new InvalidField("events", "must list event kinds, or [\"*\"] for all");
        }
        Set<WebhookEventType> out = EnumSet.noneOf(WebhookEventType.class);
        for (String kind : list) {
            if ("*".equals(kind)) {
                return EnumSet.allOf(WebhookEventType.class);
            }
            WebhookEventType t = WebhookEventType.fromWire(kind);
            if (t == null) {
                throw new InvalidField("events", "names '" + kind + "'; known: "
                        + java.util.Arrays.stream(WebhookEventType.values()).map(WebhookEventType::wireName).toList());
            }
            out.add(t);
        }
        return out;
    }
}
