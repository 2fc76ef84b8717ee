package dev.improv.server.match;

/**
 * Where pools write their facts so that a restart can rebuild them (the node's write-ahead log). Called on a
 * pool's owner thread and, for time-accounting facts, on the room threads that cause them; never blocks.
 */
public interface LobbyJournal {
    /** Keeps nothing: pools start empty after a restart. */
    LobbyJournal NONE = (pool, fact) -> {
    };

    void record(String pool, LobbyFact fact);
}
