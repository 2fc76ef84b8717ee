package dev.improv.server.auth;

import dev.improv.server.config.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The RTCConfiguration a participant's browser should use: STUN servers, and TURN servers with short-lived
 * credentials in the TURN REST scheme (username {@code <expiry>:<participant id>}, password
 * {@code base64(HMAC-SHA1(secret, username))}) that coturn checks with {@code use-auth-secret}.
 */
public final class IceServers {
    private final ServerConfig.IceSettings settings;
    private final Clock clock;

    public IceServers(ServerConfig.IceSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** A JSON-ready RTCConfiguration subset: {@code iceServers} and {@code iceTransportPolicy}. */
    public Map<String, Object> forParticipant(String participantId) {
        List<Map<String, Object>> servers = new ArrayList<>();
        if (!settings.stunUrls().isEmpty()) {
            servers.add(Map.of("urls", settings.stunUrls()));
        }
        if (!settings.turnUrls().isEmpty()) {
            long expiry = clock.instant().getEpochSecond() + settings.turnCredentialTtlSeconds();
            String username = expiry + ":" + participantId;
            servers.add(Map.of("urls", settings.turnUrls(), "username", username,
                    "credential", turnPassword(settings.turnSecret(), username)));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("iceServers", servers);
        out.put("iceTransportPolicy", settings.relayOnly() ? "relay" : "all");
        out.put("ttlSeconds", settings.turnCredentialTtlSeconds()); // clients fetch again after half of it
        return out;
    }

    /** The TURN REST password for a username. */
    public static String turnPassword(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA1 is not available", e);
        }
    }
}
