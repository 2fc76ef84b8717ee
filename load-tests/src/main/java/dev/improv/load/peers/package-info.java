/**
 * Servers to compare ours with, each started as its own JVM by {@code bench.sh}: a bare Netty WebSocket relay
 * with switchable write strategies, and a netty-socketio server with the same room semantics. Each runs on its
 * own Netty event loops; shared room maps are concurrent.
 */
package dev.improv.load.peers;
