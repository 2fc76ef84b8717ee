package dev.improv.server.room;

import dev.improv.server.protocol.ServerMessage;
import java.util.ArrayDeque;

/**
 * Acks waiting for their event to become durable, in seq order. Owner thread only. An ack whose participant is
 * disconnected by then is dropped: the client resends the cid on resume and gets a duplicate ack.
 */
final class PendingAcks {
    private record Pending(long seq, Participant origin, String cid) {
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();

    void add(long seq, Participant origin, String cid) {
        queue.addLast(new Pending(seq, origin, cid));
    }

    void ackUpTo(long durableSeq) {
        while (!queue.isEmpty() && queue.peekFirst().seq() <= durableSeq) {
            Pending p = queue.pollFirst();
            p.origin().sendDirect(new ServerMessage.Ack(p.cid(), p.seq(), false));
        }
    }

    int size() {
        return queue.size();
    }
}
