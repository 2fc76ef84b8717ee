package dev.improv.server.web;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * TURN REST credentials ("use-auth-secret" in coturn): {@code username = "<expiry seconds>:<participant id>"},
 * {@code credential = base64(HMAC-SHA1(secret, username))}. Pure; a candidate for the server's /api/ice.
 */
record TurnCredentials(String username, String credential, long expiresAt) {

    static TurnCredentials issue(byte[] secret, String participantId, long nowSeconds, long ttlSeconds) {
        long expiry = nowSeconds + ttlSeconds;
        String username = expiry + ":" + participantId;
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            String credential = Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
            return new TurnCredentials(username, credential, expiry);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA1 is not available", e);
        }
    }
}
