package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.Role;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One session's records framed into one batch (the cluster's stream messages) and folded back. */
class SessionRecordsTest {
    private static final String SESSION = "20261202T000000Z-room1-abcd";
    private static final RoomLimits LIMITS = new RoomLimits(8, Map.of(Role.PERFORMER, 2, Role.MODERATOR, 2,
            Role.RECORDER, 2, Role.OBSERVER, 2), 30_000, 100);

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<WalRecord> session() {
        SessionMeta meta = new SessionMeta(SESSION, "room1", "Cake", 1_000, null, 1, "test", List.of(), List.of());
        return List.of(SessionRecords.opened(meta, LIMITS), SessionRecords.reserve(SESSION, 256),
                SessionRecords.event(SESSION, 1, json("{\"type\":\"member_joined\",\"seq\":1,\"ts\":2000,"
                        + "\"actor\":\"m1\",\"member\":{\"id\":\"m1\",\"name\":\"Mo\",\"role\":\"moderator\","
                        + "\"connected\":true,\"muted\":false}}"), null, null),
                SessionRecords.event(SESSION, 2, json("{\"type\":\"prompt\",\"seq\":2,\"ts\":3000,\"actor\":\"m1\","
                        + "\"text\":\"go\",\"scene\":0}"), "m1", "c1"),
                SessionRecords.fact(SESSION, "ban", "p9"), SessionRecords.fact(SESSION, "owner", "node-b"));
    }

    @Test
    void aBatchFramesAndUnframesEveryRecordExactly() throws IOException {
        List<WalRecord> records = session();
        List<WalRecord> back = SessionRecords.unframe(SessionRecords.frames(records));
        assertEquals(records.size(), back.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(records.get(i).type(), back.get(i).type());
            assertEquals(records.get(i).seq(), back.get(i).seq());
            assertEquals(records.get(i).tag(), back.get(i).tag());
            assertArrayEquals(records.get(i).body(), back.get(i).body());
        }
        int size = records.stream().mapToInt(SessionRecords::frameBytes).sum();
        assertEquals(size, SessionRecords.frames(records).length);
    }

    @Test
    void aDamagedOrCutBatchIsRefusedWhole() {
        byte[] batch = SessionRecords.frames(session());
        byte[] flipped = batch.clone();
        flipped[batch.length / 2] ^= 1;
        assertThrows(IOException.class, () -> SessionRecords.unframe(flipped));
        byte[] cut = java.util.Arrays.copyOf(batch, batch.length - 3);
        assertThrows(IOException.class, () -> SessionRecords.unframe(cut));
    }

    @Test
    void theFoldRebuildsTheRoomAndPassesOverOwnerFacts() throws IOException {
        SessionRecords.Fold fold = new SessionRecords.Fold();
        for (WalRecord r : session()) {
            fold.add(r);
        }
        RecoveredRoom room = fold.room();
        assertEquals("room1", room.roomId());
        assertEquals(2, room.lastSeq());
        assertEquals(256, room.reservedSeq());
        assertFalse(fold.closed());
        assertTrue(fold.problems().isEmpty(), fold.problems().toString());
        fold.add(SessionRecords.closed(new SessionMeta(SESSION, "room1", "Cake", 1_000, 5_000L, 1, "test",
                List.of(), List.of())));
        assertTrue(fold.closed());
    }

    @Test
    void recordsWithoutTheirOpeningAreReportedNotFolded() throws IOException {
        SessionRecords.Fold fold = new SessionRecords.Fold();
        fold.add(SessionRecords.reserve(SESSION, 256));
        assertEquals(null, fold.room());
        assertEquals(1, fold.problems().size());
    }
}
