package dev.improv.server.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.improv.server.eventlog.DatasetBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A take with one silent performer, one with constant overlap, and the turn gaps of a normal exchange. */
class TakeQualityTest {
    private static final long S = 1_000_000;

    private static DatasetBuilder.Interval i(double from, double to) {
        return new DatasetBuilder.Interval((long) (from * S), (long) (to * S), 1, 2L, "client_corrected",
                "client_corrected");
    }

    private static DatasetBuilder.PerformerTrack track(String pid, List<DatasetBuilder.Interval> turns,
                                                       List<DatasetBuilder.Interval> speech) {
        return new DatasetBuilder.PerformerTrack(pid, null, turns, speech,
                new DatasetBuilder.Vad(0, 10, 0, List.of(), 0));
    }

    private static DatasetBuilder.Scene scene(DatasetBuilder.PerformerTrack... tracks) {
        return new DatasetBuilder.Scene(1, "t", 1, 0, 2L, 60 * S, null, List.of(), List.of(tracks));
    }

    @Test
    void aSilentPerformerIsFlagged() {
        DatasetBuilder.PerformerTrack a = track("a", List.of(), List.of());
        DatasetBuilder.PerformerTrack b = track("b", List.of(i(0, 48)), List.of(i(0, 48)));
        DatasetBuilder.Scene take = scene(a, b);
        TakeQuality qa = TakeQuality.of(take, a);
        assertEquals(0.0, qa.speechRatio());
        assertEquals(60.0, qa.longestSilenceS());
        assertEquals(List.of("mostly_silent", "long_silence"), qa.flags());
        assertEquals(0.0, qa.speakingBalance());
        TakeQuality qb = TakeQuality.of(take, b);
        assertEquals(0.8, qb.speechRatio());
        assertEquals(List.of(), qb.flags());
        assertEquals(1.0, qb.speakingBalance());
    }

    @Test
    void constantOverlapIsFlaggedForBoth() {
        DatasetBuilder.PerformerTrack a = track("a", List.of(), List.of(i(0, 30), i(31, 59)));
        DatasetBuilder.PerformerTrack b = track("b", List.of(), List.of(i(1, 58)));
        DatasetBuilder.Scene take = scene(a, b);
        assertEquals(List.of("talks_over"), TakeQuality.of(take, a).flags());
        assertEquals(List.of("talks_over"), TakeQuality.of(take, b).flags());
        assertEquals(0.982, TakeQuality.of(take, b).overlapRatio());
    }

    @Test
    void turnGapsAreMeasuredAtEachChangeOfSpeaker() {
        DatasetBuilder.PerformerTrack a = track("a", List.of(i(0, 5), i(10.3, 15)), List.of(i(0, 5), i(10.3, 15)));
        DatasetBuilder.PerformerTrack b = track("b", List.of(i(5.2, 10), i(15.1, 20)), List.of(i(5.2, 10)));
        DatasetBuilder.Scene take = scene(a, b);
        assertEquals(300L, TakeQuality.of(take, a).turnGapMedianMs());
        assertEquals(200L, TakeQuality.of(take, b).turnGapMedianMs()); // gaps 200 and 100 ms: the upper median
        assertNull(TakeQuality.of(scene(a), a).turnGapMedianMs());
    }
}
