package dev.improv.server.room;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The last N encoded events of a room, by seq, for resume and late joiners. Owner thread only. Older events
 * come from the session log. The ring starts small and doubles up to its capacity, so that thousands of quiet
 * rooms do not each hold a full-size array.
 */
final class EventHistory {
    private static final int INITIAL_SLOTS = 16;

    private final int capacity;
    private byte[][] ring;
    private long lastSeq;

    EventHistory(int capacity) {
        this.capacity = capacity;
        this.ring = new byte[Math.min(INITIAL_SLOTS, capacity)][];
    }

    void add(long seq, byte[] event) {
        if (seq != lastSeq + 1) {
            throw new IllegalStateException("history expects seq " + (lastSeq + 1) + ", got " + seq);
        }
        if (seq >= ring.length && ring.length < capacity) {
            grow();
        }
        ring[(int) (seq % ring.length)] = event;
        lastSeq = seq;
    }

    /**
     * Doubles the ring (up to the capacity) just before it would wrap: events 1..lastSeq then sit at their own
     * index in the old ring and in the new one alike, so a copy is all it takes.
     */
    private void grow() {
        ring = Arrays.copyOf(ring, Math.min(capacity, ring.length * 2));
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
