/**
 * Open-call matching: a {@link dev.improv.server.match.Lobby} per pool queues performers who accepted the pool's
 * consent text, asks the {@link dev.improv.server.match.Matcher} for groups (through the
 * {@link dev.improv.server.match.IncrementalMatcher}, which re-tries only performers whose chances changed since the
 * last tick), offers them with a moderator and confirms them; {@link dev.improv.server.match.TimeAccounting} keeps
 * honest per-performer time totals.
 * Everything here is plain Java with no threads, no clock and no Netty: callers pass {@code now} (epoch millis)
 * and get back {@link dev.improv.server.match.LobbyEvent}s. A lobby, its pool index, partner history and time
 * accounting are owned by one thread, like a room: every call on them must run on that thread.
 * {@link dev.improv.server.match.LobbyHub} is the thin live part (still no Netty): it owns one pool's lobby on an
 * executor (the server's one lobby thread, never an I/O loop), ticks it, turns its events into messages for member
 * connections, and opens the confirmed rooms. Its state is {@link dev.improv.server.match.PoolFold}, the fold of
 * the pool's {@link dev.improv.server.match.LobbyFact}s, which a {@link dev.improv.server.match.PoolSnapshot}
 * captures whole (the log writes one at each segment roll, so older facts can be deleted).
 */
package dev.improv.server.match;
