package dev.improv.server.room;

import java.util.List;

/**
 * One encoded room event, shared by every recipient (reference counted by the transport). The room creates
 * it once per event, hands it to each member connection, then releases its own reference.
 */
public interface SharedFrame {
    void release();

    /**
     * A copy of the frame's bytes (the event's UTF-8 JSON), for a recipient that is not a socket of this process
     * (a member relayed to another cluster node).
     */
    default byte[] bytes() {
        throw new UnsupportedOperationException("this frame does not give its bytes");
    }

    /**
     * Hands this frame to every recipient. The default sends one by one; the transport overrides it to write
     * to all members on one event loop in a single task with one flush each, instead of one task per member.
     */
    default void deliver(List<MemberConnection> recipients) {
        for (MemberConnection c : recipients) {
            c.send(this);
        }
    }
}
