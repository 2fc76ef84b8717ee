/**
 * Cluster mode on NATS JetStream (issue 16, docs/cluster.md): {@link dev.improv.server.cluster.ClusterNode} joins
 * the NATS servers, {@link dev.improv.server.cluster.RoomLeases} owns rooms through leases in a key-value bucket,
 * {@link dev.improv.server.cluster.StreamJournal} is the rooms' journal on a replicated stream (fenced with the
 * expected last subject sequence), {@link dev.improv.server.cluster.ClusterRouter} is the second
 * {@code routing.Router}: rooms of this node directly, rooms of other nodes through {@link
 * dev.improv.server.cluster.Relay}. Threads: network calls run on {@code cluster-leases} and {@code cluster-log}
 * (and jnats's own), never on an I/O thread or a room's owner thread; rooms are still touched only through
 * {@code room.execute}. No Netty types.
 */
package dev.improv.server.cluster;
