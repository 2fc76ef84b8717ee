package dev.improv.server.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code webhook-signature: v1,<base64(HMAC-SHA256(key, id "." timestamp "." body))>}
 * with {@code webhook-id} and {@code webhook-timestamp} (Unix seconds) sent beside it, so a receiver can check the
 * body, refuse old timestamps (replays) and drop duplicate ids.
 */
public final class WebhookSigner {
    private WebhookSigner() {
    }

    public static String signature(byte[] key, String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
