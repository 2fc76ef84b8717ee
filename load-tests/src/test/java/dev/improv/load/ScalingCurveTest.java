package dev.improv.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ScalingCurveTest {
    private static ScalingCurve.Point point(String target, int rooms, double p99, long lost) {
        return new ScalingCurve.Point(target, rooms, 200, 0.2, p99, p99 * 2, lost, 30, 50, "1 → 1");
    }

    private static final List<ScalingCurve.Point> POINTS = List.of(
            point("ours", 100, 1.5, 0), point("ours", 1000, 12, 0), point("ours", 3000, 80, 0),
            point("peer", 100, 1.0, 0), point("peer", 1000, 4, 3), point("peer", 3000, 9, 0),
            point("steady", 100, 2, 0), point("steady", 1000, 3, 0), point("steady", 3000, 49.9, 0));

    @Test
    void theFirstFailureIsTheFirstRoomCountThatLostOrPassedTheLimit() {
        TreeSet<Integer> rooms = new TreeSet<>(List.of(100, 1000, 3000));
        assertEquals(3000, ScalingCurve.firstFailure(POINTS, "ours", rooms), "p99 80 ms > 50");
        assertEquals(1000, ScalingCurve.firstFailure(POINTS, "peer", rooms), "lost 3, although p99 is low");
        assertNull(ScalingCurve.firstFailure(POINTS, "steady", rooms));
        assertEquals(100, ScalingCurve.firstFailure(POINTS, "absent", rooms), "no run counts as failed");
    }

    @Test
    void theTableMarksFailedCellsAndMissingRuns() {
        List<ScalingCurve.Point> some = List.of(point("ours", 100, 1.5, 0), point("ours", 500, 60, 0),
                point("peer", 100, 1.0, 0));
        String md = ScalingCurve.table(some, List.of("ours", "peer"));
        assertTrue(md.contains("| 100 | 500 | 0.20 / 1.5 / 3.0, 0 lost, 30.0 µs | 0.20 / 1.0 / 2.0, 0 lost, 30.0 µs |"), md);
        assertTrue(md.contains("| 500 | 2500 | **0.20 / 60.0 / 120.0, 0 lost, 30.0 µs** | **no result** |"), md);
        assertTrue(md.contains("- ours: 500 rooms (2500 prompts/s)"), md);
        assertTrue(md.contains("- peer: 500 rooms (2500 prompts/s)"), md);
    }

    @Test
    void theChartHasOneLinePerTargetThroughItsPointsInRateOrder() {
        String svg = ScalingCurve.chart(POINTS, List.of("ours", "peer", "steady"), "t", "ms", true,
                ScalingCurve.Point::p99);
        assertTrue(svg.startsWith("<svg"), svg);
        for (String t : List.of("ours", "peer", "steady")) {
            String line = svg.lines().filter(l -> l.contains("<polyline data-target=\"" + t + "\"")).findFirst()
                    .orElseThrow();
            String[] pts = line.replaceAll(".*points=\"([^\"]*)\".*", "$1").split(" ");
            assertEquals(3, pts.length, line);
            double x0 = Double.parseDouble(pts[0].split(",")[0]);
            double x2 = Double.parseDouble(pts[2].split(",")[0]);
            assertTrue(x0 < x2, "left to right by rate: " + line);
        }
        // The peer's 1 ms at 100 rooms lies lower on the chart (a larger y) than our 80 ms at 3,000.
        String peer = svg.lines().filter(l -> l.contains("data-target=\"peer\"")).findFirst().orElseThrow();
        String ours = svg.lines().filter(l -> l.contains("data-target=\"ours\"")).findFirst().orElseThrow();
        double peerY = Double.parseDouble(peer.replaceAll(".*points=\"[^,]*,([^ ]*) .*", "$1"));
        double oursLastY = Double.parseDouble(ours.replaceAll(".*points=\"[^\"]* [^,]*,([^\"]*)\".*", "$1"));
        assertTrue(peerY > oursLastY, "1 ms lies below 80 ms: " + peerY + " vs " + oursLastY);
        assertEquals(2, svg.split("fill=\"white\"><title>").length - 1, "two failed points drawn hollow");
    }
}
