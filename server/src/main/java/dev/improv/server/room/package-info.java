/**
 * Rooms and their members. A {@link dev.improv.server.room.Room} is owned by one thread (its owner executor):
 * every read or change of its state runs there, so the fan-out path takes no lock. Nothing here imports Netty;
 * the transport reaches members through {@link dev.improv.server.room.MemberConnection} and hands over encoded
 * frames through {@link dev.improv.server.room.FrameFactory}, which keeps rooms movable to another node later.
 * A member catching up is paced by its connection's replay credit ({@code CatchUp}), never buffered whole; the
 * session's applied client message ids ({@link dev.improv.server.room.AppliedCids}) outlive every connection.
 * Members see an event only once its seq is durably reserved by the journal ({@code HeldEvents} keeps the few that
 * wait), so a restart never gives a seq someone saw to another event; {@link dev.improv.server.room.RecoveredRoom}
 * is the start-up fold of a session's log that a restarted room is built from.
 */
package dev.improv.server.room;
