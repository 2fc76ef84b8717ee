package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppliedCidsTest {
    @Test
    void remembersTheLatestCidsOfEachParticipant() {
        AppliedCids cids = new AppliedCids(3, Long.MAX_VALUE);
        for (int i = 1; i <= 5; i++) {
            cids.applied("a", "c" + i, i);
        }
        cids.applied("b", "c1", 0);
        assertNull(cids.appliedSeq("a", "c1"), "the oldest beyond the count bound is forgotten");
        assertNull(cids.appliedSeq("a", "c2"));
        assertEquals(3L, cids.appliedSeq("a", "c3"));
        assertEquals(5L, cids.appliedSeq("a", "c5"));
        assertEquals(0L, cids.appliedSeq("b", "c1"), "participants do not share cids");
        assertNull(cids.appliedSeq("c", "c1"));
        assertEquals(3, cids.count("a"));
    }

    @Test
    void theByteBoundForgetsTheOldestCidsOfTheLeastRecentParticipantFirst() {
        long perEntry = 2L * 2 + AppliedCids.ENTRY_OVERHEAD_BYTES; // two-character cids
        AppliedCids cids = new AppliedCids(512, perEntry * 6);
        for (int i = 0; i < 3; i++) {
            cids.applied("old", "o" + i, i + 1);
        }
        for (int i = 0; i < 3; i++) {
            cids.applied("new", "n" + i, i + 10);
        }
        assertEquals(perEntry * 6, cids.bytes());
        cids.applied("new", "n3", 13);
        assertNull(cids.appliedSeq("old", "o0"), "the least recent participant's oldest cid went first");
        assertEquals(2L, cids.appliedSeq("old", "o1"));
        assertEquals(10L, cids.appliedSeq("new", "n0"));
        assertTrue(cids.bytes() <= perEntry * 6);
    }

    @Test
    void forEachListsWhatIsHeldInTheOrderToReplayIt() {
        AppliedCids cids = new AppliedCids();
        cids.applied("a", "x", 4);
        cids.applied("b", "y", 5);
        cids.applied("a", "z", 6);
        List<String> seen = new ArrayList<>();
        cids.forEach((pid, cid, seq) -> seen.add(pid + "/" + cid + "/" + seq));
        assertEquals(List.of("b/y/5", "a/x/4", "a/z/6"), seen);
        AppliedCids restored = new AppliedCids();
        cids.forEach(restored::applied);
        assertEquals(6L, restored.appliedSeq("a", "z"));
        assertEquals(5L, restored.appliedSeq("b", "y"));
    }
}
