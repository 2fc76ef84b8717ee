/**
 * Netty transport, which moves bytes and knows no feature: {@link dev.improv.server.transport.ImprovServer}
 * only runs the event loops and listeners, {@link dev.improv.server.transport.ServerInitializer} only builds the
 * pipeline, and each handler does one thing. Handlers run on their channel's event loop and never block; HTTP
 * requests go to the route table the composition root gave, WebSocket sessions reach rooms and pools through the
 * {@link dev.improv.server.routing.Router}. State shared across channels is only the budgets (input held, output
 * queued, per-address counts): atomics and concurrent sets, read without locks by whichever loop sweeps.
 */
package dev.improv.server.transport;
