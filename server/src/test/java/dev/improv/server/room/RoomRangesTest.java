package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.MarkKind;
import dev.improv.server.protocol.Role;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ranges a room checks itself: {@code lastSeq} against its seq, a mark's time against the server's clock. */
class RoomRangesTest {
    static final long NOW = 1_795_320_805_000_000L;
    static final long WINDOW_MS = 10_000;
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    final Room room = new RoomRegistry(() -> owner, RoomTest.BytesFrame::new, () -> NOW, new ServerMetrics(),
            new RoomTest.HeldJournal(), "test").create("R", new RoomLimits(4, Map.of(Role.PERFORMER, 2), 60_000, 16,
            RoomLimits.DEFAULT_HISTORY_BYTES, RoomLimits.DEFAULT_CATCH_UP_STALL_MS, WINDOW_MS));

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    private <T> T onOwner(java.util.concurrent.Callable<T> task) throws Exception {
        return owner.submit(task).get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aLastSeqBeyondTheRoomsLastEventIsRefused() throws Exception {
        RoomTest.Recording mod = new RoomTest.Recording();
        assertNull(onOwner(() -> room.join("m", "m", Role.MODERATOR, -1, mod)));
        long seq = onOwner(room::lastSeq);
        assertTrue(seq >= 1, "the moderator's join is an event");
        RoomTest.Recording ahead = new RoomTest.Recording();
        assertEquals(ErrorCode.INVALID_FIELD, onOwner(() -> room.join("a", "a", Role.PERFORMER, seq + 1, ahead)));
        assertTrue(ahead.received.isEmpty(), "refused before anything was sent or replayed");
        assertEquals(seq, (long) onOwner(room::lastSeq), "and before the room made an event of it");
        RoomTest.Recording upToDate = new RoomTest.Recording();
        assertNull(onOwner(() -> room.join("a", "a", Role.PERFORMER, seq, upToDate)), "the room's own seq is fine");
    }

    @Test
    void aMarkFarFromTheServersTimeAfterTheClockOffsetIsRefusedNamingClientTs() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        assertNull(onOwner(() -> room.join("a", "a", Role.PERFORMER, -1, ana)));
        long client = 5_000_000_000L; // a client clock far from the server's: the offset takes care of that
        onOwner(() -> {
            room.handle("a", ana, new ClientMessage.TimeSyncReport(null, client, NOW - 2_000, NOW - 1_000,
                    client + 3_000), NOW);
            return null;
        });
        onOwner(() -> {
            room.handle("a", ana, new ClientMessage.Mark("in", MarkKind.TURN_START, client + 5_000_000), NOW);
            room.handle("a", ana, new ClientMessage.Mark("late", MarkKind.TURN_END,
                    client + (WINDOW_MS + 5_000) * 1000), NOW);
            return null;
        });
        assertEquals(1, ana.ofType("mark").size(), "the mark within the window is recorded: " + ana.received);
        String refusal = ana.ofType("error").stream().filter(e -> e.contains("\"late\"")).findFirst().orElseThrow();
        assertTrue(refusal.contains("\"code\":\"INVALID_FIELD\"") && refusal.contains("\"field\":\"clientTs\""),
                refusal);
    }

    @Test
    void marksBeforeAnyTimeSyncMustKeepToTheClockTheirFirstMarkSet() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        assertNull(onOwner(() -> room.join("a", "a", Role.PERFORMER, -1, ana)));
        long client = 42; // any clock: performance.now() of a page, a counter; the first mark anchors it
        onOwner(() -> {
            room.handle("a", ana, new ClientMessage.Mark("first", MarkKind.TURN_START, client), NOW);
            room.handle("a", ana, new ClientMessage.Mark("in", MarkKind.TURN_END, client + WINDOW_MS * 1000), NOW);
            room.handle("a", ana, new ClientMessage.Mark("jump", MarkKind.TURN_START,
                    client + (WINDOW_MS + 1) * 1000), NOW);
            room.handle("a", ana, new ClientMessage.Mark("huge", MarkKind.TURN_START, (1L << 53) - 1), NOW);
            return null;
        });
        assertEquals(2, ana.ofType("mark").size(), "the first and the one within the window: " + ana.received);
        for (String cid : new String[] {"jump", "huge"}) {
            String refusal = ana.ofType("error").stream().filter(e -> e.contains("\"" + cid + "\"")).findFirst()
                    .orElseThrow(() -> new AssertionError("no refusal of " + cid + ": " + ana.received));
            assertTrue(refusal.contains("\"code\":\"INVALID_FIELD\"") && refusal.contains("\"field\":\"clientTs\"")
                    && refusal.contains("no time_sync yet"), refusal);
        }
    }
}
