package dev.improv.server.quality;

import dev.improv.server.protocol.QcFlagKind;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/** Which quality conditions hold for one performer's measures. Pure. */
public final class QcRules {
    private QcRules() {
    }

    /** A condition that holds: the measure and the threshold it was held against. */
    public record Holding(double value, double threshold) {
    }

    /**
     * The conditions that hold for {@code m} in a take of {@code performers} performers. {@code active}: the ones
     * raised before (they clear only past the hysteresis); empty for a verdict on a finished take.
     */
    public static Map<QcFlagKind, Holding> holding(Measures m, int performers, Set<QcFlagKind> active,
                                                   QcThresholds t) {
        Map<QcFlagKind, Holding> out = new EnumMap<>(QcFlagKind.class);
        double h = t.hysteresis();
        boolean judged = m.elapsedS() >= t.minTakeS();
        if (judged && m.speechRatio() < t.mostlySilentBelow() + (active.contains(QcFlagKind.MOSTLY_SILENT) ? h : 0)) {
            out.put(QcFlagKind.MOSTLY_SILENT, holds(m, t, QcFlagKind.MOSTLY_SILENT));
        }
        if (m.speechS() >= t.minSpeechS()
                && m.overlapRatio() > t.talksOverAbove() - (active.contains(QcFlagKind.TALKS_OVER) ? h : 0)) {
            out.put(QcFlagKind.TALKS_OVER, holds(m, t, QcFlagKind.TALKS_OVER));
        }
        if (m.silenceNowS() > t.longSilenceS()) { // clears when they speak again
            out.put(QcFlagKind.LONG_SILENCE, holds(m, t, QcFlagKind.LONG_SILENCE));
        }
        if (judged && performers >= 2 && m.speakingBalance() != null
                && m.speakingBalance() > t.dominatesAbove() - (active.contains(QcFlagKind.DOMINATES) ? h : 0)) {
            out.put(QcFlagKind.DOMINATES, holds(m, t, QcFlagKind.DOMINATES));
        }
        Measures.TurnGaps g = m.turnGaps();
        if (g.count() >= t.minTurnGaps() && g.medianMs() != null && g.medianMs()
                > t.slowTurnsMs() * (1 - (active.contains(QcFlagKind.SLOW_TURNS) ? h : 0))) {
            out.put(QcFlagKind.SLOW_TURNS, holds(m, t, QcFlagKind.SLOW_TURNS));
        }
        if (m.mutedS() > t.mutedLongS()) { // never decreases within a take
            out.put(QcFlagKind.MUTED_LONG, holds(m, t, QcFlagKind.MUTED_LONG));
        }
        if (m.reconnects() > t.maxReconnects()) {
            out.put(QcFlagKind.RECONNECTS, holds(m, t, QcFlagKind.RECONNECTS));
        }
        return out;
    }

    private static Holding holds(Measures m, QcThresholds t, QcFlagKind kind) {
        return new Holding(value(m, kind), threshold(t, kind));
    }

    /** The measure a condition looks at. */
    public static double value(Measures m, QcFlagKind kind) {
        return switch (kind) {
            case MOSTLY_SILENT -> m.speechRatio();
            case TALKS_OVER -> m.overlapRatio();
            case LONG_SILENCE -> m.silenceNowS();
            case DOMINATES -> m.speakingBalance() == null ? 0 : m.speakingBalance();
            case SLOW_TURNS -> m.turnGaps().medianMs() == null ? 0 : m.turnGaps().medianMs();
            case MUTED_LONG -> m.mutedS();
            case RECONNECTS -> m.reconnects();
        };
    }

    /** The threshold a condition is held against. */
    public static double threshold(QcThresholds t, QcFlagKind kind) {
        return switch (kind) {
            case MOSTLY_SILENT -> t.mostlySilentBelow();
            case TALKS_OVER -> t.talksOverAbove();
            case LONG_SILENCE -> t.longSilenceS();
            case DOMINATES -> t.dominatesAbove();
            case SLOW_TURNS -> t.slowTurnsMs();
            case MUTED_LONG -> t.mutedLongS();
            case RECONNECTS -> t.maxReconnects();
        };
    }
}
