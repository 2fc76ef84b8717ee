package dev.improv.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.improv.server.auth.TokenException.Reason;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Clock;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The one place that issues, verifies and reads join tokens. Tokens are JWTs (RFC 7519) signed with HS256 — the
 * algorithm is pinned here, never taken from the token — under a key id ({@code kid}) so that several secrets can
 * verify during a rotation (see {@link TokenKeys}). Links of the format before JWT ({@code base64url(claims)
 * "." base64url(HMAC-SHA256)}) still verify with the {@value TokenKeys#DEFAULT_KID} key until it is retired.
 * Verification costs a few microseconds (one HMAC), so it runs on the I/O thread. Thread-safe; the key set is
 * swapped whole by {@link #useKeys}.
 */
public final class TokenService {
    private static final int MAX_TOKEN_CHARS = 4096;
    private static final int MAX_ID_CHARS = 64;
    private static final int MAX_NAME_CHARS = 80;
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** Who issues and who accepts tokens. */
    public record Policy(String issuer, Set<String> acceptedIssuers, String audience, long clockSkewSeconds) {
        public Policy {
            acceptedIssuers = Set.copyOf(acceptedIssuers);
            if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
                throw new IllegalArgumentException("the token issuer and audience must not be empty");
            }
            if (!acceptedIssuers.contains(issuer)) {
                throw new IllegalArgumentException("the accepted token issuers must include the server's own");
            }
            if (clockSkewSeconds < 0 || clockSkewSeconds > 600) {
                throw new IllegalArgumentException("the token clock skew must be 0..600 s");
            }
        }

        public static Policy defaults() {
            return new Policy("improv-server", Set.of("improv-server"), "improv", 60);
        }
    }

    private final Policy policy;
    private final Clock clock;
    /** Swapped whole by a reload (any thread); read by every verification. */
    private volatile TokenKeys keys;

    public TokenService(TokenKeys keys, Policy policy, Clock clock) {
        this.keys = keys;
        this.policy = policy;
        this.clock = clock;
    }

    /** Only the generated secret as key {@value TokenKeys#DEFAULT_KID}, default issuer and audience. */
    public TokenService(byte[] secret, Clock clock) {
        this(TokenKeys.single(secret), Policy.defaults(), clock);
    }

    /**
     * The token service a configuration asks for: its key file read (start-up, blocking I/O).
     *
     * @throws IllegalArgumentException when the key file is unreadable or wrong, naming the field and the reason
     */
    public static TokenService load(ServerConfig.TokenSettings settings, Clock clock) {
        try {
            return new TokenService(TokenKeys.load(settings.defaultSecret(), settings.keyFile()), policyOf(settings),
                    clock);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token key file " + settings.keyFile() + ": " + e, e);
        }
    }

    /** Reads the key file again and puts its keys in force. Blocking I/O: never on an event loop. */
    public TokenKeys reload(ServerConfig.TokenSettings settings) throws IOException {
        TokenKeys next = TokenKeys.load(settings.defaultSecret(), settings.keyFile());
        useKeys(next);
        return next;
    }

    private static Policy policyOf(ServerConfig.TokenSettings s) {
        return new Policy(s.issuer(), Set.copyOf(s.acceptedIssuers()), s.audience(), s.clockSkewSeconds());
    }

    public TokenKeys keys() {
        return keys;
    }

    /** Puts a new key set in force (a rotation step); tokens already issued keep verifying while their key does. */
    public void useKeys(TokenKeys next) {
        this.keys = next;
    }

    public Policy policy() {
        return policy;
    }

    /** A JWT for these claims, signed with the current signing key; {@code iat} and {@code nbf} default to now. */
    public String issue(JoinClaims claims) {
        long now = clock.instant().getEpochSecond();
        TokenKeys k = keys;
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder()
                .issuer(policy.issuer())
                .audience(policy.audience())
                .subject(claims.pid())
                .issueTime(new Date((claims.iat() > 0 ? claims.iat() : now) * 1000))
                .notBeforeTime(new Date((claims.nbf() > 0 ? claims.nbf() : now) * 1000))
                .expirationTime(new Date(claims.exp() * 1000))
                .claim(claims.room() != null ? "room" : "pool", claims.room() != null ? claims.room() : claims.pool())
                .claim("role", claims.role().wireName())
                .claim("scope", claims.scopes().stream().sorted().map(Scope::wireName).collect(Collectors.joining(" ")));
        if (claims.name() != null) {
            set.claim("name", claims.name());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT)
                .keyID(k.signingKid()).build(), set.build());
        try {
            jwt.sign(new MACSigner(k.signingSecret()));
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 signing failed", e);
        }
        return jwt.serialize();
    }

    /** Verifies a token for joining its room or lobby: {@link #verify(String, Scope)} with {@link Scope#JOIN}. */
    public JoinClaims verify(String token) throws TokenException {
        return verify(token, Scope.JOIN);
    }

    /**
     * Verifies a token: shape, algorithm (HS256 only), key (known, not retired), signature, issuer, audience,
     * validity times (with the policy's clock skew for {@code nbf} and {@code iat}; {@code exp} is exact), claims,
     * and that it allows {@code needed}.
     *
     * @throws TokenException with the reason and a sentence for people
     */
    public JoinClaims verify(String token, Scope needed) throws TokenException {
        if (token == null || token.isEmpty()) {
            throw new TokenException(Reason.MISSING, "the link has no token; ask for a new link");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenException(Reason.MALFORMED, "the token is too long to be a join token");
        }
        if (!canonicalBase64Url(token.substring(token.lastIndexOf('.') + 1))) {
            // base64url decoding ignores the unused low bits of the last character: without this check four spellings
            // of every signature are accepted (a token that differs from the one issued would still work)
            throw new TokenException(Reason.SIGNATURE, "the token's signature does not match: it was changed");
        }
        long dots = token.chars().filter(c -> c == '.').count();
        JoinClaims claims = dots == 1 ? verifyLegacy(token) : verifyJwt(token);
        if (!claims.allows(needed)) {
            throw new TokenException(Reason.SCOPE, "this link does not allow '" + needed.wireName() + "' (its scope: "
                    + claims.scopes().stream().map(Scope::wireName).sorted().collect(Collectors.joining(" ")) + ")");
        }
        return claims;
    }

    private JoinClaims verifyJwt(String token) throws TokenException {
        JWT parsed;
        try {
            parsed = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new TokenException(Reason.MALFORMED, "the token is malformed; copy the whole link again");
        }
        if (parsed instanceof PlainJWT) {
            throw new TokenException(Reason.ALGORITHM, "the token is unsigned (alg 'none'); only HS256 is accepted");
        }
        if (!(parsed instanceof SignedJWT jwt)) {
            throw new TokenException(Reason.ALGORITHM, "the token is encrypted, not signed; only HS256 is accepted");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!JWSAlgorithm.HS256.equals(alg)) {
            throw new TokenException(Reason.ALGORITHM, "the token is signed with " + alg + "; only HS256 is accepted");
        }
        String kid = jwt.getHeader().getKeyID();
        TokenKeys k = keys;
        if (kid == null) {
            throw new TokenException(Reason.UNKNOWN_KEY, "the token names no key ('kid' header); ask for a new link");
        }
        if (k.isRetired(kid)) {
            throw new TokenException(Reason.RETIRED_KEY, "the token was signed with the retired key '" + kid
                    + "'; ask for a new link");
        }
        byte[] secret = k.secret(kid);
        if (secret == null) {
            throw new TokenException(Reason.UNKNOWN_KEY, "the token was signed with a key this server does not know ('"
                    + abbreviate(kid) + "')");
        }
        try {
            if (!jwt.verify(new MACVerifier(secret))) {
                throw new TokenException(Reason.SIGNATURE, "the token's signature does not match: it was changed "
                        + "or signed with another secret");
            }
        } catch (JOSEException e) {
            throw new TokenException(Reason.SIGNATURE, "the token's signature cannot be checked");
        }
        JWTClaimsSet set;
        try {
            set = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new TokenException(Reason.MALFORMED, "the token's claims are unreadable");
        }
        return checkClaims(set);
    }

    private JoinClaims checkClaims(JWTClaimsSet set) throws TokenException {
        if (set.getIssuer() == null || !policy.acceptedIssuers().contains(set.getIssuer())) {
            throw new TokenException(Reason.ISSUER, "the token's issuer ('iss') is not one this server accepts");
        }
        List<String> aud = set.getAudience();
        if (aud == null || !aud.contains(policy.audience())) {
            throw new TokenException(Reason.AUDIENCE, "the token is for another audience ('aud'); this server is '"
                    + policy.audience() + "'");
        }
        long now = clock.instant().getEpochSecond();
        Date exp = set.getExpirationTime();
        if (exp == null) {
            throw new TokenException(Reason.CLAIMS, "the token has no expiry ('exp')");
        }
        if (now >= exp.getTime() / 1000) {
            throw new TokenException(Reason.EXPIRED, "this link has expired; ask the studio for a new one");
        }
        Date nbf = set.getNotBeforeTime();
        if (nbf != null && nbf.getTime() / 1000 > now + policy.clockSkewSeconds()) {
            throw new TokenException(Reason.NOT_YET_VALID, "this link is not valid yet ('nbf'); try again later");
        }
        Date iat = set.getIssueTime();
        if (iat != null && iat.getTime() / 1000 > now + policy.clockSkewSeconds()) {
            throw new TokenException(Reason.NOT_YET_VALID, "the token was issued in the future ('iat'); check clocks");
        }
        String room = text(set, "room");
        String pool = text(set, "pool");
        if ((room == null) == (pool == null)) {
            throw new TokenException(Reason.CLAIMS, "the token must name exactly one of 'room' and 'pool'");
        }
        String pid = set.getSubject();
        if (pid == null || pid.isBlank() || pid.length() > MAX_ID_CHARS) {
            throw new TokenException(Reason.CLAIMS, "the token's participant ('sub') must be 1.." + MAX_ID_CHARS
                    + " characters");
        }
        String roleText = text(set, "role");
        Role role = roleText == null ? null : roleOf(roleText);
        if (role == null) {
            throw new TokenException(Reason.CLAIMS, "the token's 'role' must be performer, moderator, recorder or "
                    + "observer");
        }
        String name = text(set, "name");
        if (name != null && name.length() > MAX_NAME_CHARS) {
            throw new TokenException(Reason.CLAIMS, "the token's 'name' is longer than " + MAX_NAME_CHARS
                    + " characters");
        }
        Set<Scope> scopes = scopes(text(set, "scope"));
        if (scopes != null && scopes.contains(Scope.MEDIA) && role != Role.RECORDER) {
            throw new TokenException(Reason.CLAIMS, "the 'media' scope is for recorder tokens only (this one's role: "
                    + role.wireName() + ")");
        }
        return new JoinClaims(room, pool, role, pid, name == null ? pid : name, exp.getTime() / 1000,
                iat == null ? 0 : iat.getTime() / 1000, nbf == null ? 0 : nbf.getTime() / 1000, scopes);
    }

    private static String text(JWTClaimsSet set, String claim) throws TokenException {
        Object value = set.getClaim(claim);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String s) || s.isEmpty() || (!claim.equals("name") && !claim.equals("scope")
                && s.length() > MAX_ID_CHARS)) {
            throw new TokenException(Reason.CLAIMS, "the token's '" + claim + "' must be a non-empty string"
                    + (claim.equals("name") ? "" : " of at most " + MAX_ID_CHARS + " characters"));
        }
        return s;
    }

    private static Set<Scope> scopes(String scope) throws TokenException {
        if (scope == null) {
            return null;
        }
        Set<Scope> out = EnumSet.noneOf(Scope.class);
        for (String s : scope.trim().split(" +")) {
            Scope known = Scope.fromWire(s);
            if (known == null) {
                throw new TokenException(Reason.CLAIMS, "the token's 'scope' names '" + abbreviate(s)
                        + "'; known scopes: " + java.util.Arrays.stream(Scope.values()).map(Scope::wireName)
                        .collect(Collectors.joining(" ")));
            }
            out.add(known);
        }
        return out;
    }

    private static Role roleOf(String wire) {
        for (Role r : Role.values()) {
            if (r.wireName().equals(wire)) {
                return r;
            }
        }
        return null;
    }

    /** Whether {@code part} is base64url without padding exactly as an encoder writes it (no stray low bits). */
    static boolean canonicalBase64Url(String part) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(B64D.decode(part)).equals(part);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The links made before JWT: {@code base64url(claims JSON) "." base64url(HMAC-SHA256)} with the default key. */
    private JoinClaims verifyLegacy(String token) throws TokenException {
        TokenKeys k = keys;
        if (k.isRetired(TokenKeys.DEFAULT_KID)) {
            throw new TokenException(Reason.RETIRED_KEY, "this link is of the old format, signed with the retired key '"
                    + TokenKeys.DEFAULT_KID + "'; ask for a new link");
        }
        int dot = token.indexOf('.');
        String body = token.substring(0, dot);
        byte[] signature;
        JsonNode json;
        try {
            signature = B64D.decode(token.substring(dot + 1));
            json = ProtocolCodec.mapper().readTree(B64D.decode(body));
        } catch (IllegalArgumentException | IOException e) {
            throw new TokenException(Reason.MALFORMED, "the token is malformed; copy the whole link again");
        }
        if (!MessageDigest.isEqual(hmacSha256(k.secret(TokenKeys.DEFAULT_KID), body), signature)) {
            throw new TokenException(Reason.SIGNATURE, "the token's signature does not match: it was changed "
                    + "or issued by another server");
        }
        if (json == null || !json.isObject()) {
            throw new TokenException(Reason.MALFORMED, "the token's contents are unreadable");
        }
        Role role = roleOf(json.path("role").asText(""));
        String pid = json.path("pid").asText("");
        String room = json.hasNonNull("room") ? json.get("room").asText() : null;
        String pool = json.hasNonNull("pool") ? json.get("pool").asText() : null;
        if (role == null || pid.isEmpty() || (room == null) == (pool == null)) {
            throw new TokenException(Reason.CLAIMS, "the token lacks a role, a participant or a room");
        }
        long exp = json.path("exp").asLong(0);
        if (clock.instant().getEpochSecond() >= exp) {
            throw new TokenException(Reason.EXPIRED, "this link has expired; ask the studio for a new one");
        }
        return new JoinClaims(room, pool, role, pid, json.path("name").asText(pid), exp, 0, 0, null);
    }

    private static byte[] hmacSha256(byte[] secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /**
     * The room a token names, read WITHOUT verifying it: for a client that holds a token and only needs to know
     * where to connect (the media recorder). The server verifies the token when the client joins.
     *
     * @throws IllegalArgumentException when the token is unreadable or names no room
     */
    public static String unverifiedRoom(String token) {
        if (token == null) {
            throw new IllegalArgumentException("not a join token");
        }
        String[] parts = token.split("\\.", -1);
        String room;
        try {
            if (parts.length == 3) {
                room = (String) JWTParser.parse(token).getJWTClaimsSet().getClaim("room");
            } else if (parts.length == 2) {
                room = ProtocolCodec.mapper().readTree(B64D.decode(parts[0])).path("room").asText(null);
            } else {
                throw new IllegalArgumentException("not a join token");
            }
        } catch (ParseException | IOException | ClassCastException e) {
            throw new IllegalArgumentException("not a join token: " + e.getMessage(), e);
        }
        if (room == null || room.isEmpty()) {
            throw new IllegalArgumentException("the token names no room (a lobby token?)");
        }
        return room;
    }

    private static String abbreviate(String s) {
        return s.length() <= 24 ? s : s.substring(0, 24) + "…";
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
