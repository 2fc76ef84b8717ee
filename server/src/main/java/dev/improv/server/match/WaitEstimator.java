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

    void matched(int performers, long now) {
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
}
