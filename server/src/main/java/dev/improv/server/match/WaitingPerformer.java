package dev.improv.server.match;

import java.util.Comparator;
import java.util.Objects;

/**
 * A performer in the queue. {@code arrivedAt} (epoch millis) is the first arrival: a performer put back after
 * a failed offer keeps it, and with it its priority.
 */
public record WaitingPerformer(String id, Preferences prefs, long arrivedAt) {
    /** Longest waiter first; ids break ties so every order is deterministic. */
    public static final Comparator<WaitingPerformer> BY_ARRIVAL =
            Comparator.comparingLong(WaitingPerformer::arrivedAt).thenComparing(WaitingPerformer::id);

    public WaitingPerformer {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prefs, "prefs");
    }

    public long waitedMs(long now) {
        return Math.max(0, now - arrivedAt);
    }
}
