package dev.improv.server.match;

/**
 * Where pools write their facts so that a restart can rebuild them (the node's write-ahead log). Called on a
 * pool's owner thread (time-accounting facts from rooms are handed to it first, so that a pool's facts are in the
 * log in the order they were applied: a {@link PoolSnapshot} written there is the fold of exactly the facts before
 * it), and with a pool's {@code pool_opened} by whoever opens it; never blocks.
 */
public interface LobbyJournal {
    /** Keeps nothing: pools start empty after a restart. */
    LobbyJournal NONE = (pool, fact) -> {
    };

    void record(String pool, LobbyFact fact);

    /**
     * {@link #record(String, LobbyFact)}, then {@code onDurable} once this fact and every fact recorded before it
     * for {@code pool} are durable (on the journal's thread: hand the work off). What an operator is answered with
     * (a closed pool's final time accounting) waits for it, so that an answer is never taken back by a crash. A
     * journal that cannot tell runs it at once, as this default does.
     */
    default void record(String pool, LobbyFact fact, Runnable onDurable) {
        record(pool, fact);
        onDurable.run();
    }
}
