package dev.improv.server.eventlog;

import java.util.Arrays;

/**
 * Where each event of one session sits in the log: seq to record position, for seqs that follow each other
 * without a gap (a room's seq does). 8 bytes per event. The writer thread adds, reader threads look up.
 */
final class SeqIndex {
    private long[] positions = new long[64];
    private long firstSeq = -1;
    private int size;

    synchronized void add(long seq, long position) {
        if (positions == null) {
            return; // released: the session is exported
        }
        if (firstSeq < 0) {
            firstSeq = seq;
        }
        long slot = seq - firstSeq;
        if (slot < size) {
            positions[(int) slot] = position; // written again after a failure
            return;
        }
        if (slot != size) {
            throw new IllegalStateException("seq " + seq + " does not follow " + (firstSeq + size - 1));
        }
        if (size == positions.length) {
            positions = Arrays.copyOf(positions, size * 2);
        }
        positions[size++] = position;
    }

    /** The position of {@code seq}, or -1. */
    synchronized long get(long seq) {
        long slot = seq - firstSeq;
        return positions == null || firstSeq < 0 || slot < 0 || slot >= size ? -1 : positions[(int) slot];
    }

    synchronized long firstSeq() {
        return firstSeq < 0 ? 1 : firstSeq;
    }

    /** The last seq indexed, 0 when none. */
    synchronized long lastSeq() {
        return firstSeq < 0 ? 0 : firstSeq + size - 1;
    }

    synchronized void release() {
        positions = null;
    }
}
