package dev.improv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenServiceTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final Clock NOW = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);
    final TokenService tokens = new TokenService(SECRET, NOW);
    final JoinClaims claims = JoinClaims.forRoom("room1", Role.PERFORMER, "p-1", "Ana", 1_800_000_100L);

    @Test
    void issuedTokensVerify() throws TokenException {
        assertEquals(claims, tokens.verify(tokens.issue(claims)));
    }

    @Test
    void expiredTokensAreRefused() {
        String token = tokens.issue(JoinClaims.forRoom("room1", Role.PERFORMER, "p-1", "Ana", 1_800_000_000L));
        assertEquals(ErrorCode.TOKEN_EXPIRED, assertThrows(TokenException.class, () -> tokens.verify(token)).code());
    }

    @Test
    void tamperedClaimsAreRefused() {
        String token = tokens.issue(claims);
        String body = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
                StandardCharsets.UTF_8).replace("performer", "moderator");
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(body.getBytes(StandardCharsets.UTF_8))
                + token.substring(token.indexOf('.'));
        TokenException e = assertThrows(TokenException.class, () -> tokens.verify(forged));
        assertEquals(ErrorCode.TOKEN_INVALID, e.code());
    }

    @Test
    void tamperedSignatureAndOtherSecretsAreRefused() {
        String token = tokens.issue(claims);
        char last = token.charAt(token.length() - 1);
        String flipped = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertEquals(ErrorCode.TOKEN_INVALID, assertThrows(TokenException.class, () -> tokens.verify(flipped)).code());
        byte[] other = Arrays.copyOf(SECRET, SECRET.length);
        other[0] ^= 1;
        String foreign = new TokenService(other, NOW).issue(claims);
        assertEquals(ErrorCode.TOKEN_INVALID, assertThrows(TokenException.class, () -> tokens.verify(foreign)).code());
    }

    @Test
    void malformedTokensAreRefused() {
        for (String bad : new String[] {null, "", "abc", "a.b.c", "!!!.???", "e30.AAAA"}) {
            assertEquals(ErrorCode.TOKEN_INVALID, assertThrows(TokenException.class, () -> tokens.verify(bad)).code(),
                    String.valueOf(bad));
        }
    }

    @Test
    void turnCredentialsFollowTheRestSchemeCoturnChecks() {
        // openssl: printf '4600:p-abc' | openssl dgst -sha1 -hmac north -binary | base64
        assertEquals("SonH6hLT56jmsPIexfhfLTEUYqg=", IceServers.turnPassword("north", "4600:p-abc"));
        IceServers ice = new IceServers(new dev.improv.server.config.ServerConfig.IceSettings(java.util.List.of(),
                java.util.List.of("turn:127.0.0.1:3478"), "north", 3600, true),
                Clock.fixed(Instant.ofEpochSecond(1000), ZoneOffset.UTC));
        java.util.Map<String, Object> config = ice.forParticipant("p-abc");
        assertEquals("relay", config.get("iceTransportPolicy"));
        assertEquals(3600L, config.get("ttlSeconds"));
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> turn = ((java.util.List<java.util.Map<String, Object>>) config.get("iceServers")).get(0);
        assertEquals("4600:p-abc", turn.get("username"));
        assertEquals("SonH6hLT56jmsPIexfhfLTEUYqg=", turn.get("credential"));
    }
}
