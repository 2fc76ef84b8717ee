package dev.improv.server.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.RoomSummary;
import dev.improv.server.routing.Joined;
import dev.improv.server.routing.LocalRouter;
import dev.improv.server.routing.OwnerUnreachable;
import dev.improv.server.routing.PoolJoin;
import dev.improv.server.routing.RoomJoin;
import dev.improv.server.routing.Router;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's {@link Router}: rooms this node owns go to the {@link LocalRouter}; a room owned by another node
 * is reached through the {@link Relay} (joins) or an admin query to its owner (snapshots, close, membership). A
 * room whose owner is gone (its lease expiring) is waited for — up to {@link #TAKEOVER_WAIT_MS} — until a node
 * has taken it over. New rooms and pools of the admin API open on the node that was asked (a pool's rooms: {@link
 * PoolRooms}). Pools are found by their lease (key
 * {@code pool.<id>}) as rooms are; admin calls about a pool go to its owner, lobby members are relayed to it.
 * Every method returns at once; nothing here blocks a caller's thread.
 */
final class ClusterRouter implements Router {
    /**
     * How long a join or query waits for a room whose owner is gone to be taken over; below the join timeout
     * (10 s by default), so that a join still waiting is answered 1001 "reconnect to resume", not cut as too slow.
     */
    static final long TAKEOVER_WAIT_MS = 7_000;
    private static final long RETRY_MS = 100;

    private final ClusterNode node;
    private final LocalRouter local;
    private final RoomRegistry rooms;
    private final RoomLeases leases;
    private final Relay relay;
    private final PoolStream pools;
    private final PoolRooms poolRooms;

    /**
     * An admin query between nodes ({@code roomId}: the room's, or the pool's id for the pool queries; {@code
     * payload}: what a pool's room needs, see {@link PoolRooms}).
     */
    record Query(String op, String roomId, String participantId, String reason,
                 com.fasterxml.jackson.databind.JsonNode payload) {
        Query(String op, String roomId, String participantId, String reason) {
            this(op, roomId, participantId, reason, null);
        }
    }

    ClusterRouter(ClusterNode node, LocalRouter local, RoomRegistry rooms, RoomLeases leases, Relay relay,
                  PoolStream pools, PoolRooms poolRooms) {
        this.node = node;
        this.pools = pools;
        this.poolRooms = poolRooms;
        this.local = local;
        this.rooms = rooms;
        this.leases = leases;
        this.relay = relay;
        relay.serve(local, this::answer);
    }

    /** Where a room lives: here, on {@code owner}, nowhere, or not settled yet (its takeover still running). */
    private record Place(boolean here, String owner, boolean unsettled) {
        static final Place NOWHERE = new Place(false, null, false);
        static final Place UNSETTLED = new Place(false, null, true);
    }

    /** Finds the room's owner, waiting while its lease is expired or being taken over. */
    private CompletableFuture<Place> locate(String roomId) {
        CompletableFuture<Place> out = new CompletableFuture<>();
        // Answered by the deadline even when the lease thread is held up (a KV call waits out a JetStream election
        // there for seconds): a join must hear "come back" (1001) before its join timeout cuts it (4410).
        out.completeOnTimeout(Place.UNSETTLED, TAKEOVER_WAIT_MS, TimeUnit.MILLISECONDS);
        locate(roomId, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TAKEOVER_WAIT_MS), out);
        return out;
    }

    private void locate(String roomId, long deadline, CompletableFuture<Place> out) {
        if (out.isDone()) {
            return; // answered by the deadline already
        }
        if (PoolStream.isPoolKey(roomId) ? pools.owns(PoolStream.poolOf(roomId)) : rooms.get(roomId) != null) {
            out.complete(new Place(true, node.name(), false));
            return;
        }
        RoomLeases.Observed lease = leases.observed(roomId);
        if (lease == null) {
            out.complete(Place.NOWHERE);
            return;
        }
        boolean settled = !lease.owner().equals(node.name()) && !leases.expired(lease) && node.alive(lease.owner());
        if (settled) {
            out.complete(new Place(false, lease.owner(), false));
            return;
        }
        if (System.nanoTime() > deadline) {
            out.complete(Place.UNSETTLED);
            return;
        }
        node.leaseThread().schedule(() -> locate(roomId, deadline, out), RETRY_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<RoomSummary> createRoom(String name, RoomLimits limits) {
        return local.createRoom(name, limits); // the journal claims the new room's lease
    }

    @Override
    public CompletableFuture<Optional<RoomSummary>> room(String roomId) {
        return locate(roomId).thenCompose(p -> p.here() ? local.room(roomId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askOptional(p.owner(), new Query("room", roomId, null, null), new TypeReference<RoomSummary>() {
                }));
    }

    @Override
    public CompletableFuture<List<RoomSummary>> rooms() {
        List<CompletableFuture<List<RoomSummary>>> parts = new ArrayList<>();
        parts.add(local.rooms());
        for (String n : node.nodes()) {
            if (!n.equals(node.name())) {
                parts.add(ask(n, new Query("rooms", null, null, null), new TypeReference<List<RoomSummary>>() {
                }, List.of()));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<RoomSummary> all = new ArrayList<>();
            for (CompletableFuture<List<RoomSummary>> p : parts) {
                all.addAll(p.join());
            }
            return all;
        });
    }

    @Override
    public CompletableFuture<Boolean> closeRoom(String roomId, String reason) {
        return locate(roomId).thenCompose(p -> p.here() ? local.closeRoom(roomId, reason)
                : p.owner() == null ? CompletableFuture.completedFuture(false)
                : askToChange(p.owner(), new Query("close", roomId, null, reason), new TypeReference<Boolean>() {
                }).thenApply(Boolean.TRUE::equals));
    }

    @Override
    public CompletableFuture<Boolean> isMember(String roomId, String participantId) {
        return locate(roomId).thenCompose(p -> p.here() ? local.isMember(roomId, participantId)
                : p.owner() == null ? CompletableFuture.completedFuture(false)
                : ask(p.owner(), new Query("isMember", roomId, participantId, null), new TypeReference<Boolean>() {
                }, false));
    }

    @Override
    public CompletableFuture<Joined<ClientMessage>> joinRoom(RoomJoin join, MemberConnection connection) {
        return locate(join.roomId()).thenCompose(p -> p.here() ? local.joinRoom(join, connection)
                : p.unsettled() ? CompletableFuture.completedFuture(Joined.refused(ErrorCode.SERVER_SHUTDOWN))
                : p.owner() == null ? CompletableFuture.completedFuture(Joined.refused(ErrorCode.ROOM_NOT_FOUND))
                : relay.join(p.owner(), join, connection));
    }

    /** Asks another node; its silence or an unreadable answer counts as {@code otherwise}. */
    private <T> CompletableFuture<T> ask(String owner, Query q, TypeReference<T> type, T otherwise) {
        return askToChange(owner, q, type).handle((answer, error) -> error != null || answer == null ? otherwise
                : answer);
    }

    /**
     * Asks the owner to change something (a close): its answer, or null when it answered nothing; its silence
     * fails with {@link OwnerUnreachable} (the change may still happen there, so it must not read as "no such
     * room": a close through another node answered 404 when the owner took longer than the relay's timeout).
     */
    private <T> CompletableFuture<T> askToChange(String owner, Query q, TypeReference<T> type) {
        byte[] body;
        try {
            body = ProtocolCodec.mapper().writeValueAsBytes(q);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return relay.ask(owner, body).handle((answer, error) -> {
            if (error != null) {
                throw new OwnerUnreachable("node " + owner + ", which owns '" + q.roomId() + "', did not answer "
                        + "in time; the " + q.op() + " may still happen there: read it again", error);
            }
            if (answer == null || answer.length == 0) {
                return null;
            }
            try {
                return ProtocolCodec.mapper().readValue(answer, type);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /**
     * Asks another node for something that may not exist there: the owner answers the value itself or nothing
     * (the protocol's mapper has no Optional support: an Optional answer could not be encoded, and every
     * {@code GET /api/rooms/{id}} of a room owned by another node answered 404 before this).
     */
    private <T> CompletableFuture<Optional<T>> askOptional(String owner, Query q, TypeReference<T> type) {
        return ask(owner, q, type, null).thenApply(Optional::ofNullable);
    }

    /** Answers another node's admin query about this node's rooms. */
    private CompletableFuture<byte[]> answer(byte[] body) {
        Query q;
        try {
            q = ProtocolCodec.mapper().readValue(body, Query.class);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        if (PoolRooms.OPEN.equals(q.op())) { // a pool's room, and its times: answered in bytes of their own
            return CompletableFuture.completedFuture(poolRooms.answerOpen(q.payload()));
        }
        if (PoolRooms.TIME.equals(q.op())) {
            return poolRooms.answerTime(q.roomId(), q.payload());
        }
        CompletableFuture<?> result = switch (q.op()) {
            case "room" -> local.room(q.roomId());
            case "rooms" -> local.rooms();
            case "close" -> local.closeRoom(q.roomId(), q.reason());
            case "isMember" -> local.isMember(q.roomId(), q.participantId());
            case "pool" -> local.pool(q.roomId());
            case "pools" -> local.pools();
            case "poolTimes" -> local.poolTimes(q.roomId());
            case "performerTime" -> local.performerTime(q.roomId(), q.participantId());
            case "poolDays" -> local.poolDays(q.roomId());
            case "closePool" -> local.closePool(q.roomId());
            default -> CompletableFuture.completedFuture(null);
        };
        return result.thenApply(answer -> {
            Object value = answer instanceof Optional<?> o ? o.orElse(null) : answer; // absent: an empty answer
            try {
                return value == null ? new byte[0] : ProtocolCodec.mapper().writeValueAsBytes(value);
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }

    // ------------------------------------------------------------------ lobby pools

    /** Where a pool lives, as {@link #locate} finds rooms (its lease key is {@code pool.<id>}). */
    private CompletableFuture<Place> locatePool(String poolId) {
        return locate(PoolStream.leaseKey(poolId));
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> openPool(LobbyConfig config, int moderatorCapacity) {
        if (leases.observed(PoolStream.leaseKey(config.pool())) != null) {
            return CompletableFuture.completedFuture(Optional.empty()); // open on some node already
        }
        return local.openPool(config, moderatorCapacity); // the pool's stream claims its lease
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> pool(String poolId) {
        return locatePool(poolId).thenCompose(p -> p.here() ? local.pool(poolId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askOptional(p.owner(), new Query("pool", poolId, null, null),
                new TypeReference<LobbyHub.Summary>() {
                }));
    }

    @Override
    public CompletableFuture<List<LobbyHub.Summary>> pools() {
        List<CompletableFuture<List<LobbyHub.Summary>>> parts = new ArrayList<>();
        parts.add(local.pools());
        for (String n : node.nodes()) {
            if (!n.equals(node.name())) {
                parts.add(ask(n, new Query("pools", null, null, null), new TypeReference<List<LobbyHub.Summary>>() {
                }, List.of()));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<LobbyHub.Summary> all = new ArrayList<>();
            for (CompletableFuture<List<LobbyHub.Summary>> p : parts) {
                all.addAll(p.join());
            }
            return all;
        });
    }

    @Override
    public CompletableFuture<Optional<List<TimeAccounting.PerformerTime>>> poolTimes(String poolId) {
        return locatePool(poolId).thenCompose(p -> p.here() ? local.poolTimes(poolId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askOptional(p.owner(), new Query("poolTimes", poolId, null, null),
                new TypeReference<List<TimeAccounting.PerformerTime>>() {
                }));
    }

    @Override
    public CompletableFuture<Optional<TimeAccounting.PerformerTime>> performerTime(String poolId,
                                                                                   String participantId) {
        return locatePool(poolId).thenCompose(p -> p.here() ? local.performerTime(poolId, participantId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askOptional(p.owner(), new Query("performerTime", poolId, participantId, null),
                new TypeReference<TimeAccounting.PerformerTime>() {
                }));
    }

    @Override
    public CompletableFuture<Optional<List<TimeAccounting.DayTime>>> poolDays(String poolId) {
        return locatePool(poolId).thenCompose(p -> p.here() ? local.poolDays(poolId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askOptional(p.owner(), new Query("poolDays", poolId, null, null),
                new TypeReference<List<TimeAccounting.DayTime>>() {
                }));
    }

    /**
     * A lobby link works on any node, as a room link does: the member is relayed to the pool's owner; while the
     * pool's owner is gone the join waits for its takeover, then is told to come back (1001).
     */
    /**
     * Closed by its owner, wherever the call came in (behind a load balancer an operator's call lands on any node;
     * it answered 404 on every node but the owner before).
     */
    @Override
    public CompletableFuture<Optional<LobbyHub.Closed>> closePool(String poolId) {
        return locatePool(poolId).thenCompose(p -> p.here() ? local.closePool(poolId)
                : p.owner() == null ? CompletableFuture.completedFuture(Optional.empty())
                : askToChange(p.owner(), new Query("closePool", poolId, null, null),
                new TypeReference<LobbyHub.Closed>() {
                }).thenApply(Optional::ofNullable));
    }

    @Override
    public CompletableFuture<Joined<LobbyRequest>> joinPool(PoolJoin join, MemberConnection connection) {
        return locatePool(join.pool()).thenCompose(p -> p.here() ? local.joinPool(join, connection)
                : p.unsettled() ? CompletableFuture.completedFuture(Joined.refused(ErrorCode.SERVER_SHUTDOWN))
                : p.owner() == null ? CompletableFuture.completedFuture(Joined.refused(ErrorCode.POOL_NOT_FOUND))
                : relay.joinPool(p.owner(), join, connection));
    }
}
