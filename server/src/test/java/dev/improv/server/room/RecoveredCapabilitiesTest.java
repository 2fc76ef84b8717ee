package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.protocol.Capability;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * After a restart the media recorder is still the media recorder: its capability is folded back from its
 * member_joined, so performers who resume before it does still find it by type when it comes back.
 */
class RecoveredCapabilitiesTest {
    @Test
    void theMediaCapabilityComesBackAndOneOfANewerServerIsLeftOut() {
        RecoveredRoom room = new RecoveredRoom("s", "r", "Room", 1_000, new RoomLimits(10, Map.of(), 30_000, 16));
        String recorder = "{\"type\":\"member_joined\",\"seq\":1,\"ts\":1001,\"actor\":\"r-1\",\"member\":{\"id\":\"r-1\","
                + "\"name\":\"Tape\",\"role\":\"recorder\",\"connected\":true,\"muted\":false,"
                + "\"capabilities\":[\"media\",\"hologram\"]}}";
        String performer = "{\"type\":\"member_joined\",\"seq\":2,\"ts\":1002,\"actor\":\"p-1\",\"member\":{\"id\":\"p-1\","
                + "\"name\":\"Ana\",\"role\":\"performer\",\"connected\":true,\"muted\":false}}";
        room.event(1, recorder.getBytes(StandardCharsets.UTF_8), "r-1", null);
        room.event(2, performer.getBytes(StandardCharsets.UTF_8), "p-1", null);
        assertEquals(List.of(Capability.MEDIA), room.members.get("r-1").capabilities());
        assertEquals(List.of(), room.members.get("p-1").capabilities());
        Participant p = new Participant("r-1", "Tape", room.members.get("r-1").role(),
                room.members.get("r-1").capabilities(), 1_001);
        assertEquals(List.of(Capability.MEDIA), p.view().capabilities());
        assertEquals(null, new Participant("p-1", "Ana", room.members.get("p-1").role(), 1_002).view().capabilities(),
                "no capabilities: the field is left out of the JSON");
    }
}
