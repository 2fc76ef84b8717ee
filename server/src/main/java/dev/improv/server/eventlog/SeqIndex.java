package dev.improv.server.eventlog;

import java.util.Arrays;

/**
 * Where each event of one session sits in the log: seq to record position. A room's seqs follow each other
 * without a gap, except once per crash: the seqs reserved and never used before it (see
 * {@link WalRecord.Type#SEQ_RESERVE}) are skipped, and held here as {@link #HOLE}s. 8 bytes per seq. The writer
 * thread adds, reader threads look up.
 */
final class SeqIndex {
    /** {@link #get} of a seq that no event has (skipped at a restart). */
    static final long HOLE = -2;
    /** {@link #get} of a seq not in the index (before the first, after the last, or released). */
    static final long ABSENT = -1;
    /** The largest skip accepted: a reservation is far smaller; more means a damaged record. */
    static final long MAX_SKIP = 1 << 20;

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
            if (slot >= 0) {
                positions[(int) slot] = position; // written again after a failure
            }
            return;
        }
        if (slot - size > MAX_SKIP) {
            throw new IllegalStateException("seq " + seq + " is too far after " + (firstSeq + size - 1));
        }
        while (size < slot) {
            append(HOLE);
        }
        append(position);
    }

    /**
     * Marks every seq after the last one indexed and up to {@code upTo} as a {@link #HOLE}: seqs reserved before a
     * crash and never used, which the restarted room skips.
     */
    synchronized void skipTo(long upTo) {
        if (positions == null) {
            return;
        }
        if (firstSeq < 0) {
            firstSeq = 1;
        }
        if (upTo - lastSeq() > MAX_SKIP) {
            throw new IllegalStateException("cannot skip from " + lastSeq() + " to " + upTo);
        }
        while (lastSeq() < upTo) {
            append(HOLE);
        }
    }

    private void append(long position) {
        if (size == positions.length) {
            positions = Arrays.copyOf(positions, size * 2);
        }
        positions[size++] = position;
    }

    /** The position of {@code seq}, {@link #HOLE} for a skipped seq, or {@link #ABSENT}. */
    synchronized long get(long seq) {
        long slot = seq - firstSeq;
        return positions == null || firstSeq < 0 || slot < 0 || slot >= size ? ABSENT : positions[(int) slot];
    }

    synchronized long firstSeq() {
        return firstSeq < 0 ? 1 : firstSeq;
    }

    /** The last seq indexed, 0 when none. */
    synchronized long lastSeq() {
        return firstSeq < 0 ? 0 : firstSeq + size - 1;
    }

    /** Writes the index for a checkpoint ({@link #readFrom} reads it into an empty one). */
    synchronized void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeLong(firstSeq);
        out.writeInt(positions == null ? -1 : size);
        for (int i = 0; positions != null && i < size; i++) {
            out.writeLong(positions[i]);
        }
    }

    synchronized void readFrom(ByteBufferInput in) throws java.io.IOException {
        if (size != 0 || firstSeq >= 0) {
            throw new IllegalStateException("an index is read into an empty one only");
        }
        firstSeq = in.readLong();
        int n = in.readInt();
        if (n < 0) {
            positions = null;
            return;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new java.io.IOException("index of " + n);
        }
        positions = new long[Math.max(64, n)];
        in.readLongs(positions, n);
        size = n;
    }

    synchronized void release() {
        positions = null;
    }

    /** True once the session was exported and its index let go. */
    synchronized boolean released() {
        return positions == null;
    }
}
