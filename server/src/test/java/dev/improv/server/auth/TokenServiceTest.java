package dev.improv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.auth.TokenException.Reason;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenServiceTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final long T0 = 1_800_000_000L;
    static final Clock NOW = Clock.fixed(Instant.ofEpochSecond(T0), ZoneOffset.UTC);
    final TokenService tokens = new TokenService(SECRET, NOW);
    final JoinClaims claims = JoinClaims.forRoom("room1", Role.PERFORMER, "p-1", "Ana", T0 + 100);

    /** A payload the server accepts, with one claim replaced or added ({@code extra} is raw JSON members). */
    static String payload(String extra) {
        return "{\"iss\":\"improv-server\",\"aud\":\"improv\",\"sub\":\"p-9\",\"iat\":" + T0 + ",\"nbf\":" + T0
                + ",\"exp\":" + (T0 + 600) + ",\"room\":\"room1\",\"role\":\"performer\",\"name\":\"Zoe\""
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    static String withDefaultKey(String payloadJson) {
        return HandMadeJwt.sign("{\"alg\":\"HS256\",\"kid\":\"default\"}", payloadJson, SECRET, "HmacSHA256");
    }

    Reason refusal(String token) {
        return assertThrows(TokenException.class, () -> tokens.verify(token)).reason();
    }

    @Test
    void issuedTokenIsAJwtWithKidAndRegisteredClaims() throws Exception {
        String token = tokens.issue(claims);
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        var header = ProtocolCodec.mapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
        var body = ProtocolCodec.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals("HS256", header.path("alg").asText());
        assertEquals("default", header.path("kid").asText());
        assertEquals("improv-server", body.path("iss").asText());
        assertEquals("improv", body.path("aud").isArray() ? body.path("aud").get(0).asText() : body.path("aud").asText());
        assertEquals(T0, body.path("iat").asLong());
        assertEquals(T0, body.path("nbf").asLong());
        assertEquals(T0 + 100, body.path("exp").asLong());
        assertEquals("p-1", body.path("sub").asText());
        assertEquals("room1", body.path("room").asText());
        assertEquals("performer", body.path("role").asText());
        assertEquals("Ana", body.path("name").asText());
        assertEquals("join ice", body.path("scope").asText());
        assertEquals(claims.withTimes(T0, T0), tokens.verify(token));
    }

    @Test
    void tokenMadeWithoutTheLibraryIsAccepted() throws TokenException {
        JoinClaims c = tokens.verify(withDefaultKey(payload("")));
        assertEquals("room1", c.room());
        assertEquals("p-9", c.pid());
        assertEquals("Zoe", c.name());
        assertEquals(Role.PERFORMER, c.role());
        assertEquals(Scope.defaultsFor(Role.PERFORMER), c.scopes());
    }

    @Test
    void tamperedPayloadIsRefused() {
        String[] parts = tokens.issue(claims).split("\\.");
        String forged = parts[0] + "." + HandMadeJwt.b64(payload("").replace("performer", "moderator")) + "."
                + parts[2];
        assertEquals(Reason.SIGNATURE, refusal(forged));
        char[] sig = parts[2].toCharArray();
        sig[3] = sig[3] == 'A' ? 'B' : 'A';
        assertEquals(Reason.SIGNATURE, refusal(parts[0] + "." + parts[1] + "." + new String(sig)));
    }

    @Test
    void expiredIsRefusedWithItsOwnCode() {
        TokenException e = assertThrows(TokenException.class,
                () -> tokens.verify(tokens.issue(JoinClaims.forRoom("room1", Role.PERFORMER, "p-1", "Ana", T0))));
        assertEquals(Reason.EXPIRED, e.reason());
        assertEquals(ErrorCode.TOKEN_EXPIRED, e.code());
    }

    @Test
    void notYetValidIsRefusedBeyondTheClockSkew() throws TokenException {
        assertEquals(Reason.NOT_YET_VALID, refusal(withDefaultKey(payload("").replace("\"nbf\":" + T0,
                "\"nbf\":" + (T0 + 61)))));
        assertEquals(Reason.NOT_YET_VALID, refusal(withDefaultKey(payload("").replace("\"iat\":" + T0,
                "\"iat\":" + (T0 + 3600)))));
        // within the 60 s skew another machine's clock may be ahead
        tokens.verify(withDefaultKey(payload("").replace("\"nbf\":" + T0, "\"nbf\":" + (T0 + 59))));
    }

    @Test
    void wrongAudienceAndIssuerAreRefused() {
        assertEquals(Reason.AUDIENCE, refusal(withDefaultKey(payload("").replace("\"aud\":\"improv\"",
                "\"aud\":\"another-service\""))));
        assertEquals(Reason.AUDIENCE, refusal(withDefaultKey(payload("").replace("\"aud\":\"improv\",", ""))));
        assertEquals(Reason.ISSUER, refusal(withDefaultKey(payload("").replace("\"iss\":\"improv-server\"",
                "\"iss\":\"somebody\""))));
    }

    @Test
    void algNoneIsRefused() {
        String none = HandMadeJwt.b64("{\"alg\":\"none\",\"kid\":\"default\"}") + "." + HandMadeJwt.b64(payload(""))
                + ".";
        assertEquals(Reason.ALGORITHM, refusal(none));
        String noneUpper = HandMadeJwt.b64("{\"alg\":\"None\"}") + "." + HandMadeJwt.b64(payload("")) + ".";
        assertTrue(EnumSet.of(Reason.ALGORITHM, Reason.MALFORMED).contains(refusal(noneUpper)));
    }

    @Test
    void hs512WithTheSameSecretIsRefused() {
        String hs512 = HandMadeJwt.sign("{\"alg\":\"HS512\",\"kid\":\"default\"}", payload(""), SECRET, "HmacSHA512");
        assertEquals(Reason.ALGORITHM, refusal(hs512));
    }

    @Test
    void rs256ConfusionIsRefused() throws Exception {
        // An attacker's own RSA key, and an HS256-style token "signed" with the server secret under alg RS256.
        var pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        String input = HandMadeJwt.b64("{\"alg\":\"RS256\",\"kid\":\"default\"}") + "." + HandMadeJwt.b64(payload(""));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(pair.getPrivate());
        rsa.update(input.getBytes(StandardCharsets.US_ASCII));
        assertEquals(Reason.ALGORITHM, refusal(input + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(rsa.sign())));
        String hmacUnderRs256 = HandMadeJwt.sign("{\"alg\":\"RS256\",\"kid\":\"default\"}", payload(""), SECRET,
                "HmacSHA256");
        assertEquals(Reason.ALGORITHM, refusal(hmacUnderRs256));
    }

    @Test
    void unknownAndMissingKidAreRefused() {
        assertEquals(Reason.UNKNOWN_KEY, refusal(HandMadeJwt.sign("{\"alg\":\"HS256\",\"kid\":\"k9\"}", payload(""),
                SECRET, "HmacSHA256")));
        assertEquals(Reason.UNKNOWN_KEY, refusal(HandMadeJwt.sign("{\"alg\":\"HS256\"}", payload(""), SECRET,
                "HmacSHA256")));
    }

    @Test
    void badClaimsAreRefusedNamingTheClaim() {
        TokenException e = assertThrows(TokenException.class, () -> tokens.verify(withDefaultKey(
                payload("").replace("\"role\":\"performer\"", "\"role\":\"director\""))));
        assertEquals(Reason.CLAIMS, e.reason());
        assertTrue(e.getMessage().contains("'role'"), e.getMessage());
        assertEquals(Reason.CLAIMS, refusal(withDefaultKey(payload("\"pool\":\"p1\""))));
        assertEquals(Reason.CLAIMS, refusal(withDefaultKey(payload("").replace(",\"exp\":" + (T0 + 600), ""))));
        assertEquals(Reason.CLAIMS, refusal(withDefaultKey(payload("").replace("\"sub\":\"p-9\",", ""))));
        assertEquals(Reason.CLAIMS, refusal(withDefaultKey(payload("\"scope\":\"join admin\""))));
        assertEquals(Reason.CLAIMS, refusal(withDefaultKey(payload("").replace("\"room\":\"room1\"",
                "\"room\":\"" + "r".repeat(65) + "\""))));
    }

    @Test
    void scopesLimitWhatATokenAllows() throws TokenException {
        String joinOnly = withDefaultKey(payload("\"scope\":\"join\""));
        assertEquals(Set.of(Scope.JOIN), tokens.verify(joinOnly).scopes());
        TokenException e = assertThrows(TokenException.class, () -> tokens.verify(joinOnly, Scope.ICE));
        assertEquals(Reason.SCOPE, e.reason());
        assertEquals(ErrorCode.NOT_AUTHORIZED, e.code());
        assertFalse(tokens.verify(tokens.issue(claims)).allows(Scope.PROMPTS));
        assertTrue(tokens.verify(tokens.issue(JoinClaims.forRoom("room1", Role.MODERATOR, "m-1", "Mo", T0 + 10)),
                Scope.PROMPTS).allows(Scope.PROMPTS));
    }

    /** The media recorder is typed by its token: the {@code media} scope, recorders only, never a default. */
    @Test
    void theMediaScopeMakesARecorderTheMediaRecorderAndNothingElse() throws TokenException {
        JoinClaims media = tokens.verify(withDefaultKey(payload("\"scope\":\"join ice media\"")
                .replace("\"role\":\"performer\"", "\"role\":\"recorder\"")));
        assertEquals(java.util.List.of(dev.improv.server.protocol.Capability.MEDIA), media.capabilities());
        JoinClaims plain = tokens.verify(tokens.issue(JoinClaims.forRoom("room1", Role.RECORDER, "r-1", "media-x",
                T0 + 10)));
        assertEquals(java.util.List.of(), plain.capabilities(), "a recorder named media-… is not the media recorder");
        TokenException e = assertThrows(TokenException.class, () -> tokens.verify(withDefaultKey(
                payload("\"scope\":\"join ice media\""))));
        assertEquals(Reason.CLAIMS, e.reason());
        assertTrue(e.getMessage().contains("'media'") && e.getMessage().contains("performer"), e.getMessage());
        JoinLinks links = new JoinLinks(tokens, "http://x", 600, NOW);
        JoinClaims issued = tokens.verify(links.forMediaRecorder("room1", "Tape", 0).token());
        assertEquals(Role.RECORDER, issued.role());
        assertEquals(EnumSet.of(Scope.JOIN, Scope.ICE, Scope.MEDIA), issued.scopes());
    }

    @Test
    void garbageIsRefusedAsMalformedOrMissing() {
        assertEquals(Reason.MISSING, refusal(null));
        assertEquals(Reason.MISSING, refusal(""));
        for (String bad : new String[] {"abc", "a.b.c", "...", "x".repeat(5000), "a.b.c.d.e.f", "eyJ9.eyJ9.xx"}) {
            assertTrue(EnumSet.of(Reason.MALFORMED, Reason.SIGNATURE).contains(refusal(bad)), bad);
        }
    }

    @Test
    void linksOfTheFormatBeforeJwtStillVerifyUntilTheDefaultKeyIsRetired() throws TokenException {
        String body = HandMadeJwt.b64("{\"v\":1,\"room\":\"room1\",\"role\":\"performer\",\"pid\":\"p-1\",\"name\":\"Ana\""
                + ",\"exp\":" + (T0 + 100) + "}");
        String legacy = body + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(HandMadeJwt.hmac("HmacSHA256", SECRET, body));
        JoinClaims c = tokens.verify(legacy);
        assertEquals("room1", c.room());
        assertEquals("p-1", c.pid());
        assertEquals(Reason.SIGNATURE, refusal(body + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(HandMadeJwt.hmac("HmacSHA256", "another secret of thirty-two bytes!!"
                        .getBytes(StandardCharsets.US_ASCII), body))));
        assertEquals("room1", TokenService.unverifiedRoom(legacy));
    }

    @Test
    void unverifiedRoomReadsJwtsAndRefusesLobbyTokens() {
        assertEquals("room1", TokenService.unverifiedRoom(tokens.issue(claims)));
        assertThrows(IllegalArgumentException.class, () -> TokenService.unverifiedRoom(
                tokens.issue(JoinClaims.forPool("pool1", Role.PERFORMER, "p-1", "Ana", T0 + 10))));
        assertThrows(IllegalArgumentException.class, () -> TokenService.unverifiedRoom("nonsense"));
    }
}
