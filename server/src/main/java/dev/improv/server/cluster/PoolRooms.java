package dev.improv.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.match.PoolRoomOpener;
import dev.improv.server.match.RoomTime;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomListener;
import dev.improv.server.room.RoomRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lobby pool's rooms on any node of the cluster, and their times back to the pool wherever it is.
 *
 * <p><b>Placement.</b> A pool's confirmed offer gets its room on the node that owns the fewest rooms (leases as
 * last seen; this node on a tie), asked over NATS ({@code openPoolRoom}); that node opens it bound to the pool
 * (the room's {@code pool} fact) with the consents first in its log, and answers the room's id. A pool with
 * {@code recordMedia} keeps its rooms on its own node (the media recorder runs there); a node that does not answer
 * in time gets nothing to do and the pool's node opens the room itself.
 *
 * <p><b>Times.</b> Every room of a pool (wherever it opened, or was taken over) tells its scenes and presence to a
 * listener of this class, which sends them to the pool's owner of the moment — itself when the pool is here, else
 * over NATS ({@code poolRoomTime}) — one room's changes in order, one at a time, each until it is answered: a pool
 * being taken over, or a NATS outage, delays them (retried 100 ms doubling to 2 s) and loses none while this node
 * lives. The pool applies each as a fact of its own log; a change resent because its answer was lost changes
 * nothing the second time ({@link RoomTime}). A room whose pool is closed (no lease) or that the pool does not know
 * (closed there) has its changes dropped. What a room's node had not delivered when it died is lost, like a fact a
 * node had not yet stored; the node taking the room over stops the scene time of the performers who were present
 * at its last durable event, as a restart does.
 *
 * <p>Threads: the listeners are called on rooms' threads and hand over to {@code cluster-room-times}, which owns
 * every queue; answers to other nodes run on the jnats dispatcher and never block.
 */
final class PoolRooms implements PoolRoomOpener {
    private static final Logger LOG = LoggerFactory.getLogger(PoolRooms.class);
    static final long RETRY_FIRST_MS = 100;
    static final long RETRY_MAX_MS = 2_000;
    /** Changes one room may hold while its pool cannot be reached; beyond, the oldest go (logged). */
    static final int MAX_QUEUED_PER_ROOM = 10_000;
    static final String OPEN = "openPoolRoom";
    static final String TIME = "poolRoomTime";

    /** What a node answers a room's time change: applied, the room is not one of the pool's, or no such pool here. */
    private enum Delivery { APPLIED, UNKNOWN_ROOM, RETRY, POOL_GONE }

    private final ClusterNode node;
    private final RoomRegistry rooms;
    private final RoomLeases leases;
    private final Relay relay;
    private final ScheduledExecutorService sender;
    /** This node's pools; set once at start (until then every change goes by the pool's lease). */
    private volatile LobbyRegistry lobbies;
    /** Room id → its changes not yet answered. Sender thread only. */
    private final Map<String, Outbox> outboxes = new HashMap<>();

    PoolRooms(ClusterNode node, RoomRegistry rooms, RoomLeases leases, Relay relay) {
        this.node = node;
        this.rooms = rooms;
        this.leases = leases;
        this.relay = relay;
        this.sender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-room-times");
            t.setDaemon(true);
            return t;
        });
    }

    /** This node's pools are built: their rooms open through this class from now on. Before the port opens. */
    void start(LobbyRegistry registry) {
        this.lobbies = registry;
        registry.openRoomsWith(this);
    }

    void close() {
        sender.shutdownNow();
    }

    // ------------------------------------------------------------------ placement

    @Override
    public CompletableFuture<String> open(Request request, RoomLimits limits, RoomListener times) {
        Map<String, Integer> load = leases.roomsPerNode();
        String target = request.recordMedia() ? node.name() : leastLoaded(load);
        LOG.info("cluster: pool {}: room for offer {} goes to node {} (rooms per node {}, nodes alive {}{})",
                request.pool(), request.offerId(), target, load, node.nodes(),
                request.recordMedia() ? ", media recorded here" : "");
        if (target.equals(node.name())) {
            return CompletableFuture.completedFuture(openHere(request, limits));
        }
        byte[] body;
        try {
            body = ProtocolCodec.mapper().writeValueAsBytes(new ClusterRouter.Query(OPEN, null, null, null,
                    ProtocolCodec.mapper().valueToTree(request)));
        } catch (IOException e) {
            return CompletableFuture.completedFuture(openHere(request, limits));
        }
        long sent = System.nanoTime();
        return relay.ask(target, body).handle((answer, error) -> {
            String roomId = error == null && answer != null ? new String(answer, StandardCharsets.UTF_8) : "";
            if (!roomId.isEmpty()) {
                LOG.info("cluster: pool {}: room {} for offer {} opened on node {} ({} ms)", request.pool(), roomId,
                        request.offerId(), target, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
                return roomId;
            }
            LOG.warn("cluster: pool {}: node {} did not open the room for offer {} ({}); opening it here",
                    request.pool(), target, request.offerId(), error == null ? "no answer" : error.toString());
            return openHere(request, limits);
        });
    }

    /** The alive node owning the fewest rooms; this one on a tie. */
    private String leastLoaded(Map<String, Integer> load) {
        String best = node.name();
        int fewest = load.getOrDefault(best, 0);
        for (String n : node.nodes()) {
            int count = load.getOrDefault(n, 0);
            if (count < fewest) {
                best = n;
                fewest = count;
            }
        }
        return best;
    }

    private String openHere(Request request, RoomLimits limits) {
        return PoolRoomOpener.openHere(rooms, request, limits, timesOf(request.pool())).id();
    }

    /** Another node's pool asks this node for a room ({@link #OPEN}): its id, or nothing. */
    byte[] answerOpen(JsonNode payload) {
        LobbyRegistry registry = lobbies;
        if (registry == null || payload == null) {
            return new byte[0];
        }
        try {
            Request request = ProtocolCodec.mapper().treeToValue(payload, Request.class);
            RoomLimits limits = registry.roomLimits().withMaxFor(Role.PERFORMER, request.roomSize());
            return openHere(request, limits).getBytes(StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cluster: a pool's room not opened here: {}", e.toString());
            return new byte[0];
        }
    }

    // ------------------------------------------------------------------ times to the pool

    /** The listener of a room that {@code pool} made: its changes go to the pool wherever it is. */
    RoomListener timesOf(String pool) {
        return RoomTime.recordingInto(time -> {
            try {
                sender.execute(() -> queue(pool, time));
            } catch (RejectedExecutionException e) {
                LOG.warn("cluster: room {}: {} not sent to pool {} (shutting down)", time.roomId(), time.kind(),
                        pool);
            }
        });
    }

    /**
     * The listener of a room taken over here: its pool's (the room's {@code pool} fact); for a room of an older
     * log without that fact, the pool's own listener when the pool is on this node, else none.
     */
    RoomListener listenerFor(RecoveredRoom room) {
        if (room.pool() != null) {
            return timesOf(room.pool());
        }
        return node.pools().recoveredRoomListener(room.roomId());
    }

    /** One room's changes on their way to its pool. Sender thread only. */
    private static final class Outbox {
        final String pool;
        final ArrayDeque<RoomTime> queued = new ArrayDeque<>();
        boolean inFlight;
        long retryMs;
        int dropped;

        Outbox(String pool) {
            this.pool = pool;
        }
    }

    private void queue(String pool, RoomTime time) {
        Outbox box = outboxes.computeIfAbsent(time.roomId(), id -> new Outbox(pool));
        if (box.queued.size() >= MAX_QUEUED_PER_ROOM) {
            box.queued.poll();
            if (box.dropped++ == 0) {
                LOG.error("cluster: room {}: pool {} unreachable for {} changes; the oldest are dropped", time.roomId(),
                        pool, MAX_QUEUED_PER_ROOM);
            }
        }
        box.queued.add(time);
        pump(time.roomId(), box);
    }

    private void pump(String roomId, Outbox box) {
        if (box.inFlight) {
            return;
        }
        RoomTime head = box.queued.peek();
        if (head == null) {
            outboxes.remove(roomId, box);
            return;
        }
        box.inFlight = true;
        CompletableFuture<Delivery> delivered;
        try {
            delivered = deliver(box.pool, head);
        } catch (RuntimeException e) {
            delivered = CompletableFuture.completedFuture(Delivery.RETRY);
        }
        delivered.whenComplete((outcome, error) -> {
            try {
                sender.execute(() -> answered(roomId, box, head, error != null ? Delivery.RETRY : outcome));
            } catch (RejectedExecutionException e) {
                // shutting down: what is left is this node's loss, as on a crash
            }
        });
    }

    private void answered(String roomId, Outbox box, RoomTime head, Delivery outcome) {
        box.inFlight = false;
        switch (outcome) {
            case APPLIED -> {
                box.queued.poll();
                box.retryMs = 0;
                pump(roomId, box);
            }
            case UNKNOWN_ROOM, POOL_GONE -> {
                LOG.info("cluster: room {}: {} {} changes not counted: {}", roomId, box.queued.size(),
                        head.kind(), outcome == Delivery.POOL_GONE ? "pool " + box.pool + " is closed"
                        : "pool " + box.pool + " does not know the room (closed there)");
                box.queued.clear();
                outboxes.remove(roomId, box);
            }
            default -> {
                if (box.retryMs == 0) {
                    LOG.info("cluster: room {}: pool {} not reached yet; its changes wait", roomId, box.pool);
                }
                box.retryMs = box.retryMs == 0 ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, box.retryMs * 2);
                sender.schedule(() -> pump(roomId, box), box.retryMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Hands {@code time} to the pool here, or asks its owner; the outcome on any thread. */
    private CompletableFuture<Delivery> deliver(String pool, RoomTime time) {
        CompletableFuture<Delivery> out = new CompletableFuture<>();
        LobbyRegistry registry = lobbies;
        if (registry != null && registry.roomTime(pool, time,
                known -> out.complete(known ? Delivery.APPLIED : Delivery.UNKNOWN_ROOM))) {
            return out;
        }
        RoomLeases.Observed lease = leases.observed(PoolStream.leaseKey(pool));
        if (lease == null) {
            return CompletableFuture.completedFuture(Delivery.POOL_GONE);
        }
        if (lease.owner().equals(node.name()) || leases.expired(lease) || !node.alive(lease.owner())) {
            return CompletableFuture.completedFuture(Delivery.RETRY); // being taken over (maybe here)
        }
        byte[] body;
        try {
            body = ProtocolCodec.mapper().writeValueAsBytes(new ClusterRouter.Query(TIME, pool, null, null,
                    ProtocolCodec.mapper().valueToTree(time)));
        } catch (IOException e) {
            return CompletableFuture.completedFuture(Delivery.UNKNOWN_ROOM);
        }
        return relay.ask(lease.owner(), body).handle((answer, error) -> {
            if (error != null || answer == null || answer.length != 1) {
                return Delivery.RETRY; // silence, or "not here" (empty): the pool is moving
            }
            return answer[0] == '1' ? Delivery.APPLIED : Delivery.UNKNOWN_ROOM;
        });
    }

    /**
     * A room on another node tells {@code pool}, open here, of a change ({@link #TIME}): {@code 1} applied,
     * {@code 0} not one of the pool's rooms, nothing when the pool is not here (its sender tries again).
     */
    CompletableFuture<byte[]> answerTime(String pool, JsonNode payload) {
        LobbyRegistry registry = lobbies;
        if (registry == null || payload == null) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        RoomTime time;
        try {
            time = ProtocolCodec.mapper().treeToValue(payload, RoomTime.class);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(new byte[] {'0'});
        }
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        if (!registry.roomTime(pool, time, known -> out.complete(new byte[] {(byte) (known ? '1' : '0')}))) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        return out;
    }
}
