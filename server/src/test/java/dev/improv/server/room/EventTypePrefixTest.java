package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.RoomEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventTypePrefixTest {
    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aTypeMatchesExactlyNotALongerNameWithTheSamePrefix() {
        EventTypePrefix p = EventTypePrefix.of("scene_ended", "consent");
        assertTrue(p.matches(bytes("{\"type\":\"scene_ended\",\"seq\":3}")));
        assertTrue(p.matches(bytes("{\"type\":\"consent\",\"seq\":4}")));
        assertFalse(p.matches(bytes("{\"type\":\"scene_ended_late\",\"seq\":3}")), "a longer name, same prefix");
        assertFalse(p.matches(bytes("{\"type\":\"consents\",\"seq\":3}")));
        assertFalse(p.matches(bytes("{\"type\":\"scene_ende\",\"seq\":3}")));
        assertFalse(p.matches(bytes("{\"type\":\"consent")), "cut before the closing quote");
        assertFalse(p.matches(bytes("")));
        assertEquals(List.of("scene_ended", "consent"), p.names());
    }

    @Test
    void theCodecWritesTheTypeFirstSoEncodedEventsMatch() {
        byte[] json = ProtocolCodec.encode(new RoomEvent.SceneEnded(7, 1, "m", 2));
        assertTrue(EventTypePrefix.of("scene_ended").matches(json));
        assertFalse(EventTypePrefix.of("scene_started").matches(json));
    }
}
