package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TurnCredentialsTest {
    @Test
    void usernameIsExpiryColonParticipantAndCredentialIsBase64HmacSha1() {
        TurnCredentials c = TurnCredentials.issue("north".getBytes(StandardCharsets.UTF_8), "p-abc", 1_000, 3_600);
        assertEquals("4600:p-abc", c.username());
        assertEquals(4600, c.expiresAt());
        // openssl: printf '4600:p-abc' | openssl dgst -sha1 -hmac north -binary | base64
        assertEquals("SonH6hLT56jmsPIexfhfLTEUYqg=", c.credential());
    }
}
