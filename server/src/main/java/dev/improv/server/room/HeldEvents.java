package dev.improv.server.room;

import dev.improv.server.protocol.RoomEvent;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * Events a room published above its journal's durable seq reservation ({@link
 * SessionJournal.JournalSession#reservedUpTo}), held back from members, in seq order, until the reservation
 * covers them. Members therefore never see a seq that a restart could give to another event. In the steady state
 * the reservation runs ahead and nothing is held; it happens to the first events of a room whose reservation is
 * not yet durable, and when the disk fails for longer than the reserved seqs last. Bounded by what the log may
 * hold back ({@code --log-backlog-bytes}): rooms refuse client messages beyond it. Owner thread only.
 */
final class HeldEvents {
    private final ArrayDeque<byte[]> events = new ArrayDeque<>();
    private final ArrayDeque<RoomEvent> decoded = new ArrayDeque<>();
    /** Seq of the first held event (meaningful while one is held). */
    private long firstSeq;

    boolean isEmpty() {
        return events.isEmpty();
    }

    int size() {
        return events.size();
    }

    /** Holds the event with {@code seq} (the one after the last held, when any is held). */
    void add(RoomEvent event, byte[] json) {
        long seq = event.seq();
        if (events.isEmpty()) {
            firstSeq = seq;
        } else if (seq != firstSeq + events.size()) {
            throw new IllegalStateException("held events expect seq " + (firstSeq + events.size()) + ", got " + seq);
        }
        events.addLast(json);
        decoded.addLast(event);
    }

    /** The last seq members may see, given the room's last seq: the one before the first held event. */
    long visibleUpTo(long lastSeq) {
        return events.isEmpty() ? lastSeq : firstSeq - 1;
    }

    /** Hands every held event with seq up to {@code upTo} to {@code out} (its bytes and itself), in order. */
    void release(long upTo, BiConsumer<byte[], RoomEvent> out) {
        while (!events.isEmpty() && firstSeq <= upTo) {
            firstSeq++;
            out.accept(events.removeFirst(), decoded.removeFirst());
        }
    }
}
