package dev.improv.server.routing;

/**
 * Where a bound session's decoded messages go: to the room (or pool) that owns the participant, wherever it runs.
 * Callable from any thread; messages from one session arrive in the order they were delivered.
 *
 * @param <M> the decoded message type ({@code ClientMessage} for rooms, {@code LobbyRequest} for lobbies)
 */
public interface MessageSink<M> {
    /** Hands one decoded message to the owner. {@code receivedAtMicros}: server time when it was read. */
    void deliver(M message, long receivedAtMicros);

    /** The session's connection is gone; called once. */
    void connectionLost();
}
