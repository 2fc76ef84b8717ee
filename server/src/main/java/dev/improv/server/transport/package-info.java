/**
 * Netty transport: {@link dev.improv.server.transport.ImprovServer} only starts and stops,
 * {@link dev.improv.server.transport.ServerInitializer} only builds the pipeline, and each handler does one
 * thing. Handlers run on their channel's event loop and never block; room work is handed to the room's owner
 * thread with {@code room.execute}.
 */
package dev.improv.server.transport;
