package dev.improv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.auth.TokenException.Reason;
import dev.improv.server.protocol.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation: add a key, sign with it, retire the old one; and what a wrong key file is told. */
class TokenKeysTest {
    static final byte[] DEFAULT = "the generated default secret, 32+".getBytes(StandardCharsets.US_ASCII);
    static final String K2 = "second key secret, thirty-two chars or more";
    static final Clock NOW = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);
    @TempDir
    Path dir;

    Path keyFile(String json) throws IOException {
        Path f = dir.resolve("token-keys.json");
        Files.writeString(f, json);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void rotationAddSignRetire() throws Exception {
        TokenService tokens = new TokenService(TokenKeys.load(DEFAULT, null), TokenService.Policy.defaults(), NOW);
        JoinClaims claims = JoinClaims.forRoom("r1", Role.PERFORMER, "p-1", "Ana", 1_800_000_600L);
        String old = tokens.issue(claims);

        // 1. add k2 and sign with it: old links still verify, new ones carry kid k2
        tokens.useKeys(TokenKeys.load(DEFAULT, keyFile("{\"signing\":\"k2\",\"keys\":{\"k2\":\"" + K2 + "\"}}")));
        String fresh = tokens.issue(claims);
        assertEquals("r1", tokens.verify(old).room());
        assertEquals("r1", tokens.verify(fresh).room());
        assertEquals("k2", tokens.keys().signingKid());
        assertEquals("r1", tokens.verify(HandMadeJwt.hs256("k2", "{\"iss\":\"improv-server\",\"aud\":\"improv\","
                + "\"sub\":\"p-2\",\"exp\":1800000600,\"room\":\"r1\",\"role\":\"observer\"}", K2)).room());

        // 2. retire the default key: its tokens are refused with their own reason
        tokens.useKeys(TokenKeys.load(DEFAULT, keyFile("{\"signing\":\"k2\",\"keys\":{\"k2\":\"" + K2 + "\"},"
                + "\"retired\":[\"default\"]}")));
        TokenException e = assertThrows(TokenException.class, () -> tokens.verify(old));
        assertEquals(Reason.RETIRED_KEY, e.reason());
        assertTrue(e.getMessage().contains("retired"), e.getMessage());
        assertEquals("r1", tokens.verify(fresh).room());
    }

    @Test
    void keyFileReadableByOthersIsRefused() throws IOException {
        Path f = keyFile("{\"keys\":{\"k2\":\"" + K2 + "\"}}");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenKeys.load(DEFAULT, f));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void wrongKeyFilesAreRefusedNamingTheField() throws IOException {
        String[][] cases = {
                {"not json", "not valid JSON"},
                {"{\"keys\":{\"k2\":\"short\"}}", "at least 32 bytes"},
                {"{\"keys\":{\"k2\":\"" + K2 + "\",\"k3\":\"" + K2 + "x\"}}", "'signing'"},
                {"{\"signing\":\"k9\",\"keys\":{\"k2\":\"" + K2 + "\"}}", "'signing'"},
                {"{\"keys\":{\"bad kid!\":\"" + K2 + "\"}}", "key id"},
                {"{\"keys\":{\"k2\":\"" + K2 + "\"},\"retired\":[\"k2\"]}", "both"},
                {"{\"keys\":{\"default\":\"" + K2 + "\"}}", "generated secret"},
                {"{\"keys\":[]}", "'keys'"},
        };
        for (String[] c : cases) {
            Path f = keyFile(c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenKeys.load(DEFAULT, f),
                    c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void toStringNeverShowsSecrets() throws IOException {
        TokenKeys keys = TokenKeys.load(DEFAULT, keyFile("{\"signing\":\"k2\",\"keys\":{\"k2\":\"" + K2 + "\"}}"));
        assertTrue(!keys.toString().contains(K2) && !keys.toString().contains("generated default"), keys.toString());
    }
}
