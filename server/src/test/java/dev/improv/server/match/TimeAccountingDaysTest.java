package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pay statement lines: time split at UTC midnight, scenes counted on the day they end, days adding up to the totals. */
class TimeAccountingDaysTest {
    private static final long DAY = 86_400_000L;
    private static final long MIDNIGHT = 20_424 * DAY; // 2025-12-02T00:00Z

    @Test
    void anIntervalOverMidnightCountsOnBothDays() {
        TimeAccounting t = new TimeAccounting();
        t.queued("p", MIDNIGHT - 60_000);
        t.offered("p", MIDNIGHT + 30_000);
        t.confirmed("p", MIDNIGHT + 40_000);
        t.sceneStarted("r", List.of("p"), MIDNIGHT + 50_000);
        t.sceneEnded("r", MIDNIGHT + 110_000);
        List<TimeAccounting.DayTime> days = t.days("p", MIDNIGHT + 200_000);
        assertEquals(List.of(new TimeAccounting.DayTime("p", "2025-12-01", 60_000, 0, 0, 0),
                new TimeAccounting.DayTime("p", "2025-12-02", 30_000, 10_000, 60_000, 1)), days);
    }

    @Test
    void openIntervalsCountUpToNowAndDaysAddUpToTheSnapshot() {
        Random random = new Random(18);
        for (int round = 0; round < 200; round++) {
            TimeAccounting t = new TimeAccounting();
            long now = MIDNIGHT - random.nextInt(3) * DAY;
            for (int step = 0; step < 30; step++) {
                now += random.nextInt(4) == 0 ? random.nextInt((int) DAY) : random.nextInt(120_000);
                String pid = "p" + random.nextInt(3);
                switch (random.nextInt(7)) {
                    case 0 -> t.queued(pid, now);
                    case 1 -> t.offered(pid, now);
                    case 2 -> t.confirmed(pid, now);
                    case 3 -> t.leftLobby(pid, now);
                    case 4 -> t.sceneStarted("r" + random.nextInt(2), List.of(pid, "p" + random.nextInt(3)), now);
                    case 5 -> t.sceneEnded("r" + random.nextInt(2), now);
                    default -> t.performerLeftRoom("r" + random.nextInt(2), pid, now);
                }
            }
            long at = now + random.nextInt((int) DAY);
            for (String pid : List.of("p0", "p1", "p2")) {
                TimeAccounting.PerformerTime total = t.snapshot(pid, at);
                long lobby = 0, offer = 0, scene = 0, scenes = 0;
                for (TimeAccounting.DayTime d : t.days(pid, at)) {
                    lobby += d.lobbyMs();
                    offer += d.offerMs();
                    scene += d.sceneMs();
                    scenes += d.scenesCompleted();
                }
                assertEquals(total, new TimeAccounting.PerformerTime(pid, lobby, offer, scene, (int) scenes),
                        "round " + round);
            }
        }
    }
}
