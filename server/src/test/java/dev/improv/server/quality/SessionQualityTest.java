package dev.improv.server.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.improv.server.protocol.MarkKind;
import dev.improv.server.protocol.QcFlagKind;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A session's log replayed as the export does: the same measures as live, and the live flags kept per take. */
class SessionQualityTest {
    static final long T = 1_795_320_800_000_000L;
    static final long S = 1_000_000;
    long seq;

    RoomEvent joined(String pid, long ts) {
        return new RoomEvent.MemberJoined(++seq, ts, pid, new ServerMessage.Member(pid, pid, Role.PERFORMER, true,
                false, List.of()));
    }

    RoomEvent mark(String pid, MarkKind kind, long serverTs) {
        return new RoomEvent.MarkRecorded(++seq, serverTs + 2000, pid, kind, serverTs, serverTs, 0L, 1);
    }

    @Test
    void theLogGivesTheLiveMeasuresAndKeepsTheLiveFlagsOfEachTake() {
        List<RoomEvent> log = List.of(joined("ana", T), joined("ben", T + S),
                new RoomEvent.SceneStarted(++seq, T + 2 * S, "mo", 1, "One"),
                mark("ana", MarkKind.SPEAKING_START, T + 2 * S),
                new RoomEvent.QcFlag(++seq, T + 40 * S, "server", 1, "ben", QcFlagKind.MOSTLY_SILENT, true, 0, 0.2),
                new RoomEvent.Presence(++seq, T + 41 * S, "server", "ben", false),
                new RoomEvent.Presence(++seq, T + 42 * S, "ben", "ben", true),
                new RoomEvent.Muted(++seq, T + 43 * S, "mo", "ana", true),
                new RoomEvent.SceneEnded(++seq, T + 62 * S, "mo", 1));
        SessionQuality q = new SessionQuality(QcThresholds.DEFAULTS);
        QualityTimeline live = new QualityTimeline();
        TakeMeter ended = null;
        for (RoomEvent e : log) {
            q.accept(e);
            TakeMeter t = live.accept(e);
            ended = t != null ? t : ended;
        }
        q.finish();
        SessionQuality.Take ben = q.take(1, "ben");
        assertEquals(ended.measures(T + 62 * S).get("ben"), ben.measures(), "the export replays what the room saw");
        assertEquals(0.0, ben.measures().speechRatio());
        assertEquals(1, ben.measures().reconnects());
        assertEquals(List.of("mostly_silent", "long_silence"), ben.flags());
        assertEquals(1, ben.liveFlags().size());
        assertEquals(QcFlagKind.MOSTLY_SILENT, ben.liveFlags().get(0).flag());
        SessionQuality.Take ana = q.take(1, "ana");
        assertEquals(19.0, ana.measures().mutedS());
        assertEquals(List.of("dominates"), ana.flags()); // she spoke and was muted for 19 s (< 30 s)
        assertEquals(List.of(), ana.liveFlags());
        assertNull(q.take(2, "ana"));
    }
}
