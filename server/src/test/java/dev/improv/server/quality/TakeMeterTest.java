package dev.improv.server.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.QcFlagKind;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The measures of one take and the conditions they raise, on scripted timelines (times in µs from 0). */
class TakeMeterTest {
    static final long S = 1_000_000;

    /** Ana and Ben take turns: each speaks 2 s, then 200 ms of nobody, then the other. */
    static TakeMeter turnTaking(long seconds) {
        TakeMeter m = new TakeMeter(1, 0);
        m.add("ana", true, 0);
        m.add("ben", true, 0);
        long t = 0;
        boolean ana = true;
        while (t + 2 * S <= seconds * S) {
            String who = ana ? "ana" : "ben";
            m.speaking(who, true, t);
            m.speaking(who, false, t + 2 * S);
            t += 2 * S + 200_000;
            ana = !ana;
        }
        return m;
    }

    @Test
    void normalTurnTakingRaisesNothingAndMeasuresTheNorm() {
        TakeMeter take = turnTaking(60);
        Map<String, Measures> all = take.measures(60 * S);
        Measures ana = all.get("ana");
        assertEquals(0.45, ana.speechRatio(), 0.03, ana.toString());
        assertEquals(0.0, ana.overlapRatio());
        assertEquals(0.5, ana.speakingBalance(), 0.02);
        assertEquals(200L, all.get("ben").turnGaps().medianMs());
        assertEquals(200L, ana.turnGaps().p90Ms());
        assertTrue(ana.turnGaps().count() >= 12, ana.turnGaps().toString());
        for (Measures m : all.values()) {
            assertEquals(Map.of(), QcRules.holding(m, 2, Set.of(), QcThresholds.DEFAULTS), m.toString());
        }
        assertEquals(List.of(), new QcFlagState(QcThresholds.DEFAULTS).evaluate(all));
    }

    @Test
    void aSilentPerformerIsMostlySilentWithALongSilence() {
        TakeMeter take = new TakeMeter(1, 0);
        take.add("ana", true, 0);
        take.add("ben", true, 0);
        take.speaking("ana", true, 0);
        take.speaking("ana", false, 50 * S);
        assertEquals(Set.of(QcFlagKind.MOSTLY_SILENT, QcFlagKind.LONG_SILENCE),
                QcRules.holding(take.measures(50 * S).get("ben"), 2, Set.of(), QcThresholds.DEFAULTS).keySet());
        take.speaking("ben", true, 51 * S);
        take.speaking("ben", false, 53 * S);
        Map<String, Measures> all = take.measures(60 * S);
        Measures ben = all.get("ben");
        assertEquals(2 / 60.0, ben.speechRatio(), 0.001);
        assertEquals(51.0, ben.longestSilenceS());
        assertEquals(7.0, ben.silenceNowS());
        assertEquals(1L, ben.turnGaps().medianMs() / 1000); // ana stopped at 50 s, ben started at 51 s
        Map<QcFlagKind, QcRules.Holding> flags = QcRules.holding(ben, 2, Set.of(), QcThresholds.DEFAULTS);
        assertEquals(Set.of(QcFlagKind.MOSTLY_SILENT), flags.keySet(), "the silence is over: " + ben);
        assertEquals(Set.of(QcFlagKind.DOMINATES),
                QcRules.holding(all.get("ana"), 2, Set.of(), QcThresholds.DEFAULTS).keySet());
    }

    @Test
    void constantOverlapIsTalkingOverForBoth() {
        TakeMeter take = new TakeMeter(1, 0);
        take.add("ana", true, 0);
        take.add("ben", true, 0);
        take.speaking("ana", true, 0);
        take.speaking("ben", true, S);
        take.speaking("ana", false, 59 * S);
        take.speaking("ben", false, 60 * S);
        Map<String, Measures> all = take.measures(60 * S);
        assertEquals(58 / 59.0, all.get("ana").overlapRatio(), 0.001);
        assertEquals(58 / 59.0, all.get("ben").overlapRatio(), 0.001);
        assertEquals(1, all.get("ben").turnGaps().overlapped());
        assertEquals(0, all.get("ben").turnGaps().count());
        for (Measures m : all.values()) {
            assertEquals(Set.of(QcFlagKind.TALKS_OVER), QcRules.holding(m, 2, Set.of(), QcThresholds.DEFAULTS)
                    .keySet());
        }
    }

    @Test
    void aConditionIsRaisedOnceAndClearedOnlyPastItsHysteresis() {
        QcThresholds t = new QcThresholds(1000, 0, 0.5, 0.5, 0, 1000, 1, 1500, 5, 30, 3, 0.05);
        QcFlagState flags = new QcFlagState(t);
        TakeMeter take = new TakeMeter(1, 0);
        take.add("ana", true, 0);
        // 0..10 s: silent (ratio 0 -> raised), then speaks: the ratio climbs back through 0.5 .. 0.55
        assertEquals(List.of(new QcFlagState.Change("ana", QcFlagKind.MOSTLY_SILENT, true, 0.0, 0.5)),
                flags.evaluate(take.measures(10 * S)));
        assertEquals(List.of(), flags.evaluate(take.measures(11 * S)), "raised once, not every evaluation");
        take.speaking("ana", true, 11 * S);
        assertEquals(List.of(), flags.evaluate(take.measures(22 * S)), "ratio 0.5: still within the hysteresis");
        assertEquals(List.of(), flags.evaluate(take.measures(23 * S)), "ratio 0.52: still within the hysteresis");
        List<QcFlagState.Change> cleared = flags.evaluate(take.measures(25 * S)); // 14/25 = 0.56
        assertEquals(1, cleared.size());
        assertEquals(false, cleared.get(0).raised());
        assertEquals(0.56, cleared.get(0).value());
        assertEquals(List.of(), flags.evaluate(take.measures(26 * S)));
    }

    @Test
    void mutesReconnectsAndLateMarksAreMeasured() {
        TakeMeter take = new TakeMeter(2, 0);
        take.add("ana", true, 0);
        take.muted("ana", true, 10 * S);
        take.muted("ana", false, 50 * S);
        for (int i = 0; i < 4; i++) {
            take.presence("ana", false, (51 + 2 * i) * S);
            take.presence("ana", true, (52 + 2 * i) * S);
        }
        take.speaking("ana", true, 59 * S);
        take.speaking("ana", false, 58 * S); // a mark stamped before the last change counts at its time
        Measures ana = take.measures(60 * S).get("ana");
        assertEquals(40.0, ana.mutedS());
        assertEquals(4, ana.reconnects());
        assertEquals(0.0, ana.speechS());
        assertEquals(Set.of(QcFlagKind.MUTED_LONG, QcFlagKind.RECONNECTS, QcFlagKind.MOSTLY_SILENT),
                QcRules.holding(ana, 1, Set.of(), QcThresholds.DEFAULTS).keySet());
        assertNull(ana.speakingBalance());
    }

    @Test
    void slowTurnsNeedEnoughGaps() {
        TakeMeter take = new TakeMeter(1, 0);
        take.add("ana", true, 0);
        take.add("ben", true, 0);
        long t = 0;
        for (int i = 0; i < 12; i++) {
            String who = i % 2 == 0 ? "ana" : "ben";
            take.speaking(who, true, t);
            take.speaking(who, false, t + 3 * S);
            t += 5 * S; // 2 s between speakers
        }
        Measures ben = take.measures(t).get("ben");
        assertEquals(6, ben.turnGaps().count());
        assertEquals(2000L, ben.turnGaps().medianMs());
        assertTrue(QcRules.holding(ben, 2, Set.of(), QcThresholds.DEFAULTS).containsKey(QcFlagKind.SLOW_TURNS));
    }
}
