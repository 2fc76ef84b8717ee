package dev.improv.server.take;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Placement of chunk stamps on the server timeline: one offset, the lower envelope, drift, segments. */
class TrackAlignmentTest {
    static final long T0 = 1_795_320_805_000_000L;

    static ChunkMeta chunk(int index, int segment, long sample, long clientUs, long offsetUs, long rttUs) {
        return new ChunkMeta(index, segment, sample, 24_000, clientUs, offsetUs, rttUs, "x", false, "processor");
    }

    @Test
    void theBestRoundTripsOffsetAndTheEarliestStampsPlaceTheTrack() {
        List<ChunkMeta> chunks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long late = i % 3 == 0 ? 0 : 1_000 + (i * 37) % 4_000; // deliveries are late, never early
            chunks.add(chunk(i, 0, i * 24_000L, T0 + i * 500_000L + late, i == 7 ? 2_000 : 9_000, i == 7 ? 300 : 900));
        }
        TrackAlignment.Placement p = TrackAlignment.place(chunks);
        assertEquals(2_000, p.offsetUs(), "the estimate with the smallest round trip");
        assertEquals(T0 + 2_000, p.firstSampleServerUs(), 300, "through the earliest stamps, not their mean");
        assertEquals(0, p.driftPpm(), 500);
        assertEquals(1, p.segments().size());
    }

    @Test
    void aClockRunning100ppmSlowIsMeasuredAndEachSegmentIsPlacedByItsOwnStamps() {
        List<ChunkMeta> chunks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            chunks.add(chunk(i, 0, i * 24_000L, T0 + Math.round(i * 500_000 * 1.0001), 0, 500));
        }
        for (int i = 30; i < 32; i++) { // after a reload: a new sample clock, 3 s later
            chunks.add(chunk(i, 1, (i - 30) * 24_000L, T0 + 18_000_000L + (i - 30) * 500_000L, 0, 500));
        }
        TrackAlignment.Placement p = TrackAlignment.place(chunks);
        assertEquals(100, p.driftPpm(), 1);
        assertEquals(2, p.segments().size());
        assertEquals(T0 + 18_000_000L, p.segments().get(1).serverUs());
        assertNull(p.segments().get(1).driftPpm(), "one second is too short to see a drift");
        assertEquals(250, p.alignErrorUs(), 2, "half the round trip, the stamps being exact");
    }
}
