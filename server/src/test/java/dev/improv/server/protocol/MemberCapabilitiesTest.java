package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capabilities on the wire: written only when there are any, and a newer server's unknown one never breaks a read. */
class MemberCapabilitiesTest {
    @Test
    void writtenWhenPresentLeftOutWhenNoneAndUnknownOnesSkippedWhenRead() {
        ServerMessage.Member media = new ServerMessage.Member("r-1", "Tape", Role.RECORDER, true, false,
                List.of(Capability.MEDIA));
        ServerMessage.Member plain = new ServerMessage.Member("p-1", "Ana", Role.PERFORMER, true, false);
        String joined = new String(ProtocolCodec.encode(new RoomEvent.MemberJoined(1, 2, "r-1", media)),
                StandardCharsets.UTF_8);
        assertTrue(joined.contains("\"capabilities\":[\"media\"]"), joined);
        String other = new String(ProtocolCodec.encode(new RoomEvent.MemberJoined(2, 3, "p-1", plain)),
                StandardCharsets.UTF_8);
        assertFalse(other.contains("capabilities"), other);
        assertTrue(media.has(Capability.MEDIA));
        assertFalse(plain.has(Capability.MEDIA));

        RoomEvent.MemberJoined read = (RoomEvent.MemberJoined) ProtocolCodec.decodeServer(joined.replace(
                "[\"media\"]", "[\"hologram\",\"media\"]"));
        assertEquals(List.of(Capability.MEDIA), read.member().capabilities());
        RoomEvent.MemberJoined none = (RoomEvent.MemberJoined) ProtocolCodec.decodeServer(joined.replace(
                "[\"media\"]", "[\"hologram\"]"));
        assertEquals(null, none.member().capabilities());
    }
}
