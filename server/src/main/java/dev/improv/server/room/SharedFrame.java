package dev.improv.server.room;

/**
 * One encoded room event, shared by every recipient (reference counted by the transport). The room creates
 * it once per event, hands it to each member connection, then releases its own reference.
 */
public interface SharedFrame {
    void release();
}
