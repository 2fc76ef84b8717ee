package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.ProtocolCodec;
import org.junit.jupiter.api.Test;

/** A pool's config as the log keeps it: written and read back whole, and readable from logs older than a field. */
class LobbyConfigTest {
    @Test
    void recordMediaRoundTripsAndAnOlderLogWithoutItReadsAsFalse() throws Exception {
        LobbyConfig recorded = LobbyConfig.of("p", 1, "consent").withRecordMedia(true);
        String json = ProtocolCodec.mapper().writeValueAsString(recorded);
        assertEquals(recorded, ProtocolCodec.mapper().readValue(json, LobbyConfig.class));
        assertTrue(ProtocolCodec.mapper().readValue(json, LobbyConfig.class).recordMedia());

        String older = json.replace(",\"recordMedia\":true", ""); // a pool_opened fact written before the field
        assertFalse(older.contains("recordMedia"), older);
        LobbyConfig read = ProtocolCodec.mapper().readValue(older, LobbyConfig.class);
        assertFalse(read.recordMedia());
        assertEquals(recorded.withRecordMedia(false), read);
        assertFalse(recorded.withRules(MatchRules.defaults()).withRecordMedia(false).recordMedia());
        assertTrue(recorded.withOfferTimeoutMs(5_000).withRequireModerator(true).recordMedia(), "kept by withers");
    }
}
