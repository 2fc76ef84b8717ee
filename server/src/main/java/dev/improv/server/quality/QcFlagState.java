package dev.improv.server.quality;

import dev.improv.server.protocol.QcFlagKind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The conditions raised in one running take, per performer: each evaluation returns only what changed, so a
 * condition is raised once and cleared once (past its hysteresis), not reported at every evaluation. Pure; one
 * owner (a room's thread).
 */
public final class QcFlagState {
    private final QcThresholds thresholds;
    private final Map<String, Set<QcFlagKind>> raised = new HashMap<>();

    public QcFlagState(QcThresholds thresholds) {
        this.thresholds = thresholds;
    }

    /** A condition that started ({@code raised}) or stopped holding for a performer. */
    public record Change(String participant, QcFlagKind flag, boolean raised, double value, double threshold) {
    }

    /** What changed since the last evaluation of this take, in performer order, then flag order. */
    public List<Change> evaluate(Map<String, Measures> all) {
        List<Change> out = new ArrayList<>();
        for (Map.Entry<String, Measures> e : all.entrySet()) {
            Set<QcFlagKind> active = raised.computeIfAbsent(e.getKey(), k -> EnumSet.noneOf(QcFlagKind.class));
            Map<QcFlagKind, QcRules.Holding> now = QcRules.holding(e.getValue(), all.size(), active, thresholds);
            for (QcFlagKind kind : QcFlagKind.values()) {
                QcRules.Holding h = now.get(kind);
                if (h != null && active.add(kind)) {
                    out.add(new Change(e.getKey(), kind, true, h.value(), h.threshold()));
                } else if (h == null && active.remove(kind)) {
                    out.add(new Change(e.getKey(), kind, false, QcRules.value(e.getValue(), kind),
                            QcRules.threshold(thresholds, kind)));
                }
            }
        }
        return out;
    }

    /** A new take: nothing raised. */
    public void reset() {
        raised.clear();
    }
}
