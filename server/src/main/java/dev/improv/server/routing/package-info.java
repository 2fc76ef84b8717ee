/**
 * The routing seam: sessions (WebSocket room and lobby sessions) and the admin API reach rooms and lobby pools only
 * through {@link dev.improv.server.routing.Router}. {@link dev.improv.server.routing.LocalRouter} serves this
 * process's rooms; the cluster adds a distributed implementation behind the same interface (as LiveKit's
 * {@code pkg/routing} holds a local and a Redis router). Every answer is a future, so no implementation ever makes
 * an I/O thread wait; a local one completes on the room's or pool's owner thread, or at once. No Netty types.
 */
package dev.improv.server.routing;
