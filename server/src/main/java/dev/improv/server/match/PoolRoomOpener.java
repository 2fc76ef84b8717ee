package dev.improv.server.match;

import dev.improv.server.room.Room;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomListener;
import dev.improv.server.room.RoomRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a pool's confirmed offers get their rooms: on one node, this node's {@link RoomRegistry}; in cluster mode,
 * the node the cluster chooses (docs/cluster.md, "A pool's rooms on any node"). The seam a second implementation
 * plugs into, like the router.
 */
@FunctionalInterface
public interface PoolRoomOpener {
    /**
     * What a pool asks for: a room for offer {@code offerId} with room for {@code roomSize} performers, the
     * performers' {@code consents} written into its log before anyone can join, and (when {@code recordMedia}) the
     * server-side media recorder, which runs on the pool's node.
     */
    record Request(String pool, String offerId, String name, int roomSize, List<ConsentRecord> consents,
                   boolean recordMedia) {
        public Request {
            consents = List.copyOf(consents);
        }
    }

    /**
     * Opens the room of {@code request} with {@code limits} (the pool's), its scene and presence changes told to
     * {@code times} (on one node: the pool's own listener). Answers the room's id, on any thread; never blocks.
     */
    CompletableFuture<String> open(Request request, RoomLimits limits, RoomListener times);

    /** This node's registry: the room opens here, at once. */
    static PoolRoomOpener local(RoomRegistry rooms) {
        return (request, limits, times) -> CompletableFuture.completedFuture(openHere(rooms, request, limits, times)
                .id());
    }

    /**
     * Opens the room in {@code rooms}, bound to its pool (a {@code pool} fact in its log, so that a node taking it
     * over knows where its times go), then each consent: all before any link exists, so they come first in the log.
     */
    static Room openHere(RoomRegistry rooms, Request request, RoomLimits limits, RoomListener times) {
        Room room = rooms.create(request.name(), limits, times);
        room.execute(() -> {
            room.bindToPool(request.pool());
            for (ConsentRecord consent : request.consents()) {
                room.recordConsent(consent.pid(), request.pool(), consent.consentVersion(),
                        consent.acceptedAt() * 1000);
            }
        });
        return room;
    }
}
