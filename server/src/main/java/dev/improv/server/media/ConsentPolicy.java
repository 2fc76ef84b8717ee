package dev.improv.server.media;

import dev.improv.server.protocol.ServerMessage;

/**
 * Whether a performer agreed to have their audio recorded in a session. The recorder answers a performer's
 * offer only when this says yes; without an answer no media flows, so nothing can be written by mistake.
 * Called on the room's control thread; implementations must be fast and thread-safe.
 */
@FunctionalInterface
public interface ConsentPolicy {
    boolean consented(String roomId, String sessionId, ServerMessage.Member performer);

    /** Everyone consented: for tests, and for deployments where consent was taken outside the app. */
    static ConsentPolicy everyone() {
        return (room, session, performer) -> true;
    }

    /** Nobody is recorded. */
    static ConsentPolicy nobody() {
        return (room, session, performer) -> false;
    }
}
