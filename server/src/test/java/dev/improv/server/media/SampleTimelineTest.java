package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SampleTimelineTest {
    private final SampleTimeline timeline = new SampleTimeline(List.of(
            new SampleTimeline.SyncPoint(0, 1_000_000),
            new SampleTimeline.SyncPoint(48_000, 2_000_000),
            new SampleTimeline.SyncPoint(96_000, 3_010_000)), 48_000); // the second second ran 10 ms long

    @Test
    void interpolatesBetweenAndExtrapolatesOutsideSyncPoints() {
        assertEquals(1_000_000, timeline.serverMicros(0));
        assertEquals(1_500_000, timeline.serverMicros(24_000));
        assertEquals(2_505_000, timeline.serverMicros(72_000));
        assertEquals(4_010_000, timeline.serverMicros(144_000), "after the last point: nominal rate");
        assertEquals(990_000, timeline.serverMicros(-480), "before the first point: nominal rate");
    }

    @Test
    void sampleAtIsTheInverse() {
        for (long s : new long[] {0, 1, 23_999, 48_000, 60_000, 95_999, 100_000}) {
            assertEquals(s, timeline.sampleAt(timeline.serverMicros(s)), 1, "sample " + s);
        }
    }

    @Test
    void refusesUnorderedPoints() {
        assertThrows(IllegalArgumentException.class, () -> new SampleTimeline(List.of(
                new SampleTimeline.SyncPoint(10, 1), new SampleTimeline.SyncPoint(10, 2)), 48_000));
    }

    @Test
    void theServerClockKeepsTheSampleWithTheSmallestRoundTrip() {
        ServerClock clock = new ServerClock();
        clock.addSample(1_000, 6_000, 6_100, 3_000);   // rtt 1.9 ms, offset +4.05 ms
        clock.addSample(10_000, 20_000, 20_000, 10_400); // rtt 0.4 ms, offset +9.8 ms
        clock.addSample(20_000, 35_000, 35_000, 30_000); // rtt 10 ms
        assertEquals(9_800, clock.offsetMicros());
        assertEquals(400, clock.rttMicros());
    }
}
