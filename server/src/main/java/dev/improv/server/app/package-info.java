/**
 * The composition root: {@link dev.improv.server.app.ServerApp} builds the server from its parts — metrics,
 * tokens, event loops, rooms, lobby pools, the router, and the features — and is the only place that knows them
 * all. Every feature plugs in the same way, as a {@link dev.improv.server.app.Feature}: built here from the parts
 * it needs, it contributes HTTP routes and is closed in order at shutdown. Start-up and shutdown run on the
 * caller's thread; nothing here runs on an event loop.
 */
package dev.improv.server.app;
