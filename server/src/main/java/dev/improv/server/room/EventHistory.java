package dev.improv.server.room;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent encoded events of a room, by seq, for resume and late joiners. Owner thread only. Bounded twice:
 * at most {@code maxEvents} events and at most {@code maxBytes} bytes of event JSON (the newest event is always
 * kept, however large); older events come from the session log. The ring starts small and doubles up to its
 * event capacity, so that thousands of quiet rooms do not each hold a full-size array.
 */
final class EventHistory {
    private static final int INITIAL_SLOTS = 16;

    private final int maxEvents;
    private final long maxBytes;
    private byte[][] ring;
    /** Oldest seq held; lastSeq + 1 when nothing is held. */
    private long firstSeq = 1;
    private long lastSeq;
    private long bytes;

    EventHistory(int maxEvents, long maxBytes) {
        if (maxEvents < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("history bounds must be positive");
        }
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        this.ring = new byte[Math.min(INITIAL_SLOTS, maxEvents)][];
    }

    void add(long seq, byte[] event) {
        if (seq != lastSeq + 1) {
            throw new IllegalStateException("history expects seq " + (lastSeq + 1) + ", got " + seq);
        }
        if (held() == ring.length) {
            if (ring.length < maxEvents) {
                grow();
            } else {
                dropOldest();
            }
        }
        ring[slot(seq)] = event;
        lastSeq = seq;
        bytes += event.length;
        while (bytes > maxBytes && firstSeq < lastSeq) {
            dropOldest();
        }
    }

    private int held() {
        return (int) (lastSeq - firstSeq + 1);
    }

    private int slot(long seq) {
        return (int) (seq % ring.length);
    }

    private void dropOldest() {
        int i = slot(firstSeq);
        bytes -= ring[i].length;
        ring[i] = null;
        firstSeq++;
    }

    /** Doubles the ring (up to the event capacity); every held event moves to its slot in the larger ring. */
    private void grow() {
        byte[][] larger = new byte[Math.min(maxEvents, ring.length * 2)][];
        for (long s = firstSeq; s <= lastSeq; s++) {
            larger[(int) (s % larger.length)] = ring[slot(s)];
        }
        ring = larger;
    }

    /** Starts an empty history after {@code seq}: a room rebuilt from its log, whose older events are there. */
    void startAfter(long seq) {
        if (held() > 0) {
            throw new IllegalStateException("the history already holds events");
        }
        firstSeq = seq + 1;
        lastSeq = seq;
    }

    /** Oldest seq still held, or lastSeq + 1 when empty. */
    long firstAvailable() {
        return firstSeq;
    }

    long lastSeq() {
        return lastSeq;
    }

    /** Bytes of event JSON held now. */
    long bytes() {
        return bytes;
    }

    /** Events held now. */
    int size() {
        return held();
    }

    /** The event with this seq, or null when it is not held (older than {@link #firstAvailable}, or not yet made). */
    byte[] get(long seq) {
        if (seq < firstSeq || seq > lastSeq) {
            return null;
        }
        return ring[slot(seq)];
    }

    /** Events with seq in [from, lastSeq], or null when some of them are no longer held. */
    List<byte[]> since(long from) {
        if (from < firstSeq) {
            return null;
        }
        List<byte[]> out = new ArrayList<>((int) Math.max(0, lastSeq - from + 1));
        for (long s = from; s <= lastSeq; s++) {
            out.add(ring[slot(s)]);
        }
        return out;
    }
}
