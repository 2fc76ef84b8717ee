package dev.improv.server.room;

import java.util.ArrayList;
import java.util.List;

/**
 * The last N encoded events of a room, by seq, for resume and late joiners. Owner thread only.
 * Older events come from the session log.
 */
final class EventHistory {
    private final byte[][] ring;
    private long lastSeq;

    EventHistory(int capacity) {
        this.ring = new byte[capacity][];
    }

    void add(long seq, byte[] event) {
        if (seq != lastSeq + 1) {
            throw new IllegalStateException("history expects seq " + (lastSeq + 1) + ", got " + seq);
        }
        ring[(int) (seq % ring.length)] = event;
        lastSeq = seq;
    }

    /** Oldest seq still held, or lastSeq + 1 when empty. */
    long firstAvailable() {
        return Math.max(1, lastSeq - ring.length + 1);
    }

    /** Events with seq in [from, lastSeq], or null when some of them are no longer held. */
    List<byte[]> since(long from) {
        if (from < firstAvailable()) {
            return null;
        }
        List<byte[]> out = new ArrayList<>((int) Math.max(0, lastSeq - from + 1));
        for (long s = from; s <= lastSeq; s++) {
            out.add(ring[(int) (s % ring.length)]);
        }
        return out;
    }
}
