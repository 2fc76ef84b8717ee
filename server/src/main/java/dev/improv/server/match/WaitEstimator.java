package dev.improv.server.match;

import java.util.ArrayDeque;

/**
 * Estimates waits from the recent match rate: the times of the last {@value #SAMPLES} performers sent an offer.
 * Someone at position p waits about p / rate. The window runs to {@code now}, so when matching stalls the
 * estimates grow instead of freezing. Owned by the lobby thread.
 */
final class WaitEstimator {
    static final int SAMPLES = 64;
    private final ArrayDeque<Long> matchedAt = new ArrayDeque<>(SAMPLES);
    /** Counts {@link #matched} calls: while it stays, every estimate is a known function of the time. */
    private long version;

    long version() {
        return version;
    }

    /** The window's samples, oldest first (for a {@link PoolSnapshot}). */
    java.util.List<Long> samples() {
        return java.util.List.copyOf(matchedAt);
    }

    /** Starts over with these samples (from {@link #samples}), oldest first. */
    void restore(java.util.List<Long> samples) {
        matchedAt.clear();
        matchedAt.addAll(samples.subList(Math.max(0, samples.size() - SAMPLES), samples.size()));
        version++;
    }

    void matched(int performers, long now) {
        version++;
        for (int i = 0; i < performers; i++) {
            if (matchedAt.size() == SAMPLES) {
                matchedAt.removeFirst();
            }
            matchedAt.addLast(now);
        }
    }

    /** Estimated wait in millis for the performer at {@code position} (1 = next), or -1 if nothing is known yet. */
    long estimate(int position, long now) {
        if (matchedAt.size() < 2) {
            return -1;
        }
        long span = now - matchedAt.peekFirst();
        if (span <= 0) {
            return 0;
        }
        // position / (count / span), rounded up
        long count = matchedAt.size();
        return (position * span + count - 1) / count;
    }

    /**
     * The first time at or after {@code now} when {@link #estimate} for {@code position} differs from {@code told}
     * by at least {@code step} (or changes sign), if no match is recorded meanwhile; Long.MAX_VALUE if never.
     * Estimates only grow while nothing is matched, so it is the time the estimate reaches {@code told + step}.
     */
    long movesAt(int position, long told, long step, long now) {
        long current = estimate(position, now);
        if ((current < 0) != (told < 0) || Math.abs(current - told) >= step) {
            return now;
        }
        if (matchedAt.size() < 2 || position <= 0) {
            return Long.MAX_VALUE; // no estimate yet (-1 until a match), or nothing that grows
        }
        long target = told + step; // smallest span with ceil(position * span / count) >= target
        long count = matchedAt.size();
        long atLeast = (target - 1) * count + 1; // > 0: told >= 0 here (count >= 2 estimates are never -1), step >= 1
        long span = Math.max(1, (atLeast + position - 1) / position);
        return Math.max(now, matchedAt.peekFirst() + span);
    }
}
