package dev.improv.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A JWT made by hand with the JDK alone (HMAC + base64url), independent of the library the server uses: what a
 * studio backend with any JWT library would send. Also makes the forgeries the tests throw at the server.
 */
public final class HandMadeJwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private HandMadeJwt() {
    }

    /** {@code header.payload.signature} with the signature an HMAC of {@code macAlgorithm} (e.g. HmacSHA256). */
    public static String sign(String headerJson, String payloadJson, byte[] secret, String macAlgorithm) {
        String signingInput = b64(headerJson) + "." + b64(payloadJson);
        return signingInput + "." + B64.encodeToString(hmac(macAlgorithm, secret, signingInput));
    }

    public static String hs256(String kid, String payloadJson, String secret) {
        return sign("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}", payloadJson,
                secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    public static String b64(String json) {
        return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] hmac(String algorithm, byte[] secret, String input) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(secret, algorithm));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
