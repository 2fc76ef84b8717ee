package dev.improv.server.room;

/**
 * A participant's clock offset (server minus client, µs) from NTP-style samples. Keeps the sample with the
 * smallest round trip among the last {@link #WINDOW}: the one least disturbed by queueing, as NTP does.
 * Owner thread only.
 */
final class ClockEstimate {
    static final int WINDOW = 8;
    private final long[] offsets = new long[WINDOW];
    private final long[] rtts = new long[WINDOW];
    private int count;
    private int next;
    /** Server minus client time (µs) at the first mark sent before any time sync; MIN_VALUE until then. */
    private long unsyncedAnchor = Long.MIN_VALUE;

    /** Adds a sample; returns true when the best estimate changed. */
    boolean add(long offsetUs, long rttUs) {
        long before = count == 0 ? Long.MIN_VALUE : bestOffset();
        offsets[next] = offsetUs;
        rtts[next] = rttUs;
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
        return before != bestOffset();
    }

    /**
     * For a mark sent before any time sync: the offset the first such mark implied (its client time taken as the
     * server's time of its arrival). Later unsynced marks are put against it, so the client's clock must run with
     * the server's. Both stamps are at most 2^53: no overflow.
     */
    long unsyncedOffset(long clientTs, long nowUs) {
        if (unsyncedAnchor == Long.MIN_VALUE) {
            unsyncedAnchor = nowUs - clientTs;
        }
        return unsyncedAnchor;
    }

    boolean known() {
        return count > 0;
    }

    long bestOffset() {
        return offsets[bestIndex()];
    }

    long bestRtt() {
        return rtts[bestIndex()];
    }

    private int bestIndex() {
        int best = 0;
        for (int i = 1; i < count; i++) {
            if (rtts[i] < rtts[best]) {
                best = i;
            }
        }
        return best;
    }
}
