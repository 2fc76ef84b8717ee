package dev.improv.server.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Issues and verifies HMAC-SHA256 signed join tokens. Thread-safe. */
public final class TokenService {
    private static final String ALGORITHM = "HmacSHA256";
    private static final int MAX_TOKEN_CHARS = 2048;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final SecretKeySpec key;
    private final Clock clock;
    /** Mac instances are not thread-safe and costly to look up: one per thread. */
    private final ThreadLocal<Mac> macs;

    public TokenService(byte[] secret, Clock clock) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("the token secret must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
        this.clock = clock;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    public String issue(JoinClaims claims) {
        try {
            String body = B64.encodeToString(ProtocolCodec.mapper().writeValueAsBytes(claims));
            return body + "." + B64.encodeToString(sign(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Verifies signature and expiry.
     *
     * @throws TokenException TOKEN_INVALID (malformed or tampered) or TOKEN_EXPIRED, with a sentence for people
     */
    public JoinClaims verify(String token) throws TokenException {
        if (token == null || token.isEmpty()) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the link has no token; ask for a new link");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token is too long to be one of ours");
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.')) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token is malformed; copy the whole link again");
        }
        String body = token.substring(0, dot);
        byte[] signature;
        byte[] json;
        try {
            signature = B64D.decode(token.substring(dot + 1));
            json = B64D.decode(body);
        } catch (IllegalArgumentException e) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token is malformed; copy the whole link again");
        }
        if (!MessageDigest.isEqual(sign(body), signature)) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token's signature does not match: it was changed "
                    + "or issued by another server");
        }
        JoinClaims claims;
        try {
            claims = ProtocolCodec.mapper().readValue(json, JoinClaims.class);
        } catch (IOException | RuntimeException e) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token's contents are unreadable");
        }
        if (claims.role() == null || claims.pid() == null || (claims.room() == null) == (claims.pool() == null)) {
            throw new TokenException(ErrorCode.TOKEN_INVALID, "the token lacks a role, a participant or a room");
        }
        if (clock.instant().getEpochSecond() >= claims.exp()) {
            throw new TokenException(ErrorCode.TOKEN_EXPIRED, "this link has expired; ask the studio for a new one");
        }
        return claims;
    }

    private byte[] sign(String body) {
        return macs.get().doFinal(body.getBytes(StandardCharsets.US_ASCII));
    }

    /** Constant-time comparison of a presented admin key with the configured one. */
    public static boolean adminKeyMatches(String presented, String expected) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }
}
