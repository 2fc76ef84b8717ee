package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.match.TimeAccounting.PerformerTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeAccountingTest {
    private final TimeAccounting time = new TimeAccounting();

    @Test
    void lobbyAndOfferIntervalsAreClosedOnTransitionsAndOpenOnesCountUpToNow() {
        time.queued("a", 1_000);
        assertEquals(new PerformerTime("a", 500, 0, 0, 0), time.snapshot("a", 1_500));
        time.offered("a", 4_000);
        time.queued("a", 5_000);   // offer expired, back in the queue
        time.offered("a", 6_000);
        time.confirmed("a", 6_500);
        assertEquals(new PerformerTime("a", 4_000, 1_500, 0, 0), time.snapshot("a", 99_000));
    }

    @Test
    void repeatedEventsFromAReconnectAreNotCountedTwice() {
        time.queued("a", 0);
        time.queued("a", 2_000);
        time.leftLobby("a", 3_000);
        time.leftLobby("a", 9_000);
        assertEquals(3_000, time.snapshot("a", 10_000).lobbyMs());

        time.sceneStarted("room", List.of("a", "b"), 10_000);
        time.performerJoinedRoom("room", "a", 11_000);   // reconnect without having left
        time.performerLeftRoom("room", "a", 12_000);     // connection lost
        time.performerLeftRoom("room", "a", 12_500);
        time.performerJoinedRoom("room", "a", 14_000);   // back
        assertEquals(4_000, time.snapshot("a", 16_000).sceneMs());
        time.sceneEnded("room", 20_000);
        time.sceneEnded("room", 30_000);
        assertEquals(new PerformerTime("a", 3_000, 0, 8_000, 1), time.snapshot("a", 40_000));
        assertEquals(new PerformerTime("b", 0, 0, 10_000, 1), time.snapshot("b", 40_000));
    }

    /**
     * A room on another node resends a change whose answer it missed (cluster): the same scene start again must
     * not complete the scene, while a real new start (another time, or other performers) still does.
     */
    @Test
    void theSameSceneStartResentRightAfterItselfChangesNothing() {
        time.sceneStarted("room", List.of("a", "b"), 1_000);
        time.sceneStarted("room", List.of("b", "a"), 1_000);
        time.sceneEnded("room", 4_000);
        time.sceneEnded("room", 4_000);
        assertEquals(new PerformerTime("a", 0, 0, 3_000, 1), time.snapshot("a", 9_000));
        time.sceneStarted("room", List.of("a"), 5_000);
        time.sceneStarted("room", List.of("a", "b"), 5_000); // b was not there: another start, the first ends
        time.sceneEnded("room", 6_000);
        assertEquals(new PerformerTime("a", 0, 0, 4_000, 3), time.snapshot("a", 9_000));
        assertEquals(new PerformerTime("b", 0, 0, 4_000, 2), time.snapshot("b", 9_000));
    }

    @Test
    void performerWhoLeftBeforeTheEndDoesNotCompleteTheScene() {
        time.sceneStarted("room", List.of("a", "b"), 0);
        time.performerLeftRoom("room", "b", 1_000);
        time.sceneEnded("room", 5_000);
        assertEquals(new PerformerTime("b", 0, 0, 1_000, 0), time.snapshot("b", 9_000));
        assertEquals(1, time.snapshot("a", 9_000).scenesCompleted());
    }

    @Test
    void aNewSceneEndsTheOneStillRunningAndJoinsWithoutASceneCountNothing() {
        time.performerJoinedRoom("room", "a", 0);
        time.sceneStarted("room", List.of("a"), 1_000);
        time.sceneStarted("room", List.of("a"), 3_000);
        time.sceneEnded("room", 4_000);
        assertEquals(new PerformerTime("a", 0, 0, 3_000, 2), time.snapshot("a", 9_000));
        assertEquals(new PerformerTime("nobody", 0, 0, 0, 0), time.snapshot("nobody", 9_000));
    }

    @Test
    void aClockGoingBackCountsZeroNotNegative() {
        time.queued("a", 5_000);
        assertEquals(0, time.snapshot("a", 4_000).lobbyMs());
    }
}
