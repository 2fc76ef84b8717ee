package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fold of a session's events back into room state. */
class RecoveredRoomTest {
    private final RecoveredRoom room = new RecoveredRoom("s", "r", "Room", 1_000, new RoomLimits(10, Map.of(),
            30_000, 16));
    private long seq;

    private void event(String json) {
        event(json, null, null);
    }

    private void event(String json, String pid, String cid) {
        seq++;
        String withSeq = "{\"seq\":" + seq + ",\"ts\":" + (1_000 + seq) + "," + json.substring(1);
        room.event(seq, withSeq.getBytes(StandardCharsets.UTF_8), pid, cid);
    }

    private static String joined(String id, String role) {
        return "{\"type\":\"member_joined\",\"actor\":\"" + id + "\",\"member\":{\"id\":\"" + id
                + "\",\"name\":\"N" + id + "\",\"role\":\"" + role + "\",\"connected\":true,\"muted\":false}}";
    }

    @Test
    void rosterSceneLockMuteBansAndCidsComeBack() {
        event(joined("m-1", "moderator"));
        event(joined("p-1", "performer"));
        event(joined("p-2", "performer"));
        event("{\"type\":\"scene_started\",\"actor\":\"m-1\",\"scene\":1,\"title\":\"T\"}", "m-1", "c1");
        event("{\"type\":\"prompt\",\"actor\":\"m-1\",\"text\":\"A lighthouse\",\"scene\":1}", "m-1", "c2");
        event("{\"type\":\"muted\",\"actor\":\"m-1\",\"target\":\"p-1\",\"muted\":true}", "m-1", "c3");
        event("{\"type\":\"room_locked\",\"actor\":\"m-1\",\"locked\":true}", "m-1", "c4");
        event("{\"type\":\"member_left\",\"actor\":\"m-1\",\"id\":\"p-2\",\"reason\":\"kicked\"}", "m-1", "c5");
        room.ban("p-2");
        event("{\"type\":\"presence\",\"actor\":\"server\",\"id\":\"p-1\",\"connected\":false}");

        assertEquals(9, room.lastSeq());
        assertEquals(1_009, room.lastTs());
        assertEquals(1, room.scene);
        assertTrue(room.sceneActive);
        assertEquals("T", room.sceneTitle);
        assertEquals("A lighthouse", room.lastPrompt().text());
        assertTrue(room.locked);
        assertEquals(java.util.List.of("m-1", "p-1"), java.util.List.copyOf(room.members.keySet()));
        assertTrue(room.members.get("p-1").muted());
        assertFalse(room.members.get("p-1").connected());
        assertTrue(room.banned.contains("p-2"));
        assertEquals(3, room.everJoined.size());
        AppliedCids cids = new AppliedCids();
        room.appliedCidsInto(cids);
        assertEquals(5L, cids.appliedSeq("m-1", "c2"));
        assertEquals(5, cids.count("m-1"));
        assertNull(room.damage());
        assertFalse(room.closed());
    }

    @Test
    void theHistoryKeepsOnlyTheLastEventsAndAGapIsDamage() {
        for (int i = 0; i < 40; i++) {
            event("{\"type\":\"mark\",\"actor\":\"p-1\",\"kind\":\"turn\",\"clientTs\":1,\"scene\":0}");
        }
        assertEquals(16, room.recent.size());
        assertEquals(25L, room.recent.peekFirst()[0]);
        room.event(45, "{\"type\":\"mark\",\"seq\":45}".getBytes(StandardCharsets.UTF_8), null, null);
        assertTrue(room.damage().contains("seq 45 follows 40"));
    }

    @Test
    void theOnlyGapAllowedIsTheOneARestartMarkerNames() {
        event(joined("p-1", "performer"));
        event("{\"type\":\"prompt\",\"actor\":\"m-1\",\"text\":\"x\",\"scene\":0}");
        room.reserved(1024);
        assertEquals(1024, room.reservedSeq(), "the restarted room goes on above the reservation");
        byte[] marker = ("{\"type\":\"server_restarted\",\"seq\":1025,\"ts\":5000,\"actor\":\"server\","
                + "\"lastEventTs\":1002,\"skippedFrom\":3,\"skippedTo\":1024}").getBytes(StandardCharsets.UTF_8);
        room.event(1025, marker, null, null);
        assertNull(room.damage());
        assertEquals(1025, room.lastSeq());
        assertEquals(1, room.recent.size(), "the history starts again after the skipped seqs");
        room.event(1027, "{\"type\":\"server_restarted\",\"seq\":1027,\"skippedFrom\":1025,\"skippedTo\":1026}"
                .getBytes(StandardCharsets.UTF_8), null, null);
        assertTrue(room.damage().contains("seq 1027 follows 1025"), "a marker naming the wrong range is damage");
    }

    @Test
    void aCleanStopGivesTheReservationBack() {
        event(joined("p-1", "performer"));
        room.reserved(1024);
        room.reserved(1); // the last reservation counts
        assertEquals(1, room.reservedSeq());
    }

    @Test
    void aRestartMarksEveryoneDisconnected() {
        event(joined("p-1", "performer"));
        event("{\"type\":\"server_restarted\",\"actor\":\"server\",\"lastEventTs\":1}");
        assertFalse(room.members.get("p-1").connected());
        event("{\"type\":\"room_closed\",\"actor\":\"server\",\"reason\":\"x\"}");
        assertTrue(room.closed());
    }

    @Test
    void theLastCidsOfEachParticipantComeBackInOrder() {
        for (int i = 1; i <= 1_000; i++) {
            event("{\"type\":\"prompt\",\"actor\":\"m-1\",\"text\":\"t\",\"scene\":0}", i % 3 == 0 ? "m-2" : "m-1",
                    "c" + i);
        }
        AppliedCids cids = new AppliedCids();
        room.appliedCidsInto(cids);
        java.util.List<String> order = new java.util.ArrayList<>();
        cids.forEach((pid, cid, seq) -> order.add(pid)); // before the look-ups below, which count as activity
        assertEquals("m-2", order.get(0), "least recently active first (m-1 applied the last cid)");
        assertEquals(AppliedCids.PER_PARTICIPANT, cids.count("m-1"));
        assertEquals(333, cids.count("m-2"));
        assertEquals(1_000L, cids.appliedSeq("m-1", "c1000"));
        assertNull(cids.appliedSeq("m-1", "c1"), "older than the last 512 of m-1");
        assertEquals(3L, cids.appliedSeq("m-2", "c3"));
    }
}
