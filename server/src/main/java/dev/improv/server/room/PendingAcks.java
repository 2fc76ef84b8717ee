package dev.improv.server.room;

import dev.improv.server.protocol.ServerMessage;
import java.util.ArrayDeque;

/**
 * Acks waiting for their event to become durable, in seq order. Owner thread only. An ack whose participant is
 * disconnected by then is dropped: the client resends the cid on resume and gets a duplicate ack.
 */
final class PendingAcks {
    private record Pending(long seq, Participant origin, String cid, boolean duplicate) {
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();

    void add(long seq, Participant origin, String cid, boolean duplicate) {
        queue.addLast(new Pending(seq, origin, cid, duplicate));
    }

    void ackUpTo(long durableSeq) {
        // Duplicates are queued behind later originals, so the queue is only nearly sorted: scan it all.
        queue.removeIf(p -> {
            if (p.seq() > durableSeq) {
                return false;
            }
            p.origin().sendDirect(new ServerMessage.Ack(p.cid(), p.seq(), p.duplicate()));
            return true;
        });
    }

    int size() {
        return queue.size();
    }
}
