package dev.improv.server.routing;

import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A router with no rooms behind it, for tests of what sits in front (HTTP routes, sessions): rooms and pools are
 * snapshots the test sets up, members a set the test changes, and every message delivered is recorded.
 */
public final class FakeRouter implements Router {
    public final Map<String, RoomSummary> rooms = new ConcurrentHashMap<>();
    public final Map<String, LobbyHub.Summary> pools = new ConcurrentHashMap<>();
    /** "roomId/participantId" of current members. */
    public final Set<String> members = ConcurrentHashMap.newKeySet();
    public final List<Object> delivered = new CopyOnWriteArrayList<>();
    public final List<String> closed = new CopyOnWriteArrayList<>();
    private int next;

    public static RoomSummary summary(String id, String name) {
        return new RoomSummary(id, name, "s-" + id, false, false, 0, false, 0, 0, 0, Map.of(), List.of());
    }

    @Override
    public synchronized CompletableFuture<RoomSummary> createRoom(String name, RoomLimits limits) {
        RoomSummary room = summary("room" + (++next), name);
        rooms.put(room.id(), room);
        return CompletableFuture.completedFuture(room);
    }

    @Override
    public CompletableFuture<Optional<RoomSummary>> room(String roomId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(rooms.get(roomId)));
    }

    @Override
    public CompletableFuture<List<RoomSummary>> rooms() {
        return CompletableFuture.completedFuture(new ArrayList<>(rooms.values()));
    }

    @Override
    public CompletableFuture<Boolean> closeRoom(String roomId, String reason) {
        boolean was = rooms.remove(roomId) != null;
        if (was) {
            closed.add(roomId);
        }
        return CompletableFuture.completedFuture(was);
    }

    @Override
    public CompletableFuture<Boolean> isMember(String roomId, String participantId) {
        return CompletableFuture.completedFuture(rooms.containsKey(roomId)
                && members.contains(roomId + "/" + participantId));
    }

    @Override
    public CompletableFuture<Joined<ClientMessage>> joinRoom(RoomJoin join, MemberConnection connection) {
        if (!rooms.containsKey(join.roomId())) {
            return CompletableFuture.completedFuture(Joined.refused(ErrorCode.ROOM_NOT_FOUND));
        }
        members.add(join.roomId() + "/" + join.participantId());
        return CompletableFuture.completedFuture(Joined.with(new Recording<>()));
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> openPool(LobbyConfig config, int moderatorCapacity) {
        LobbyHub.Summary pool = new LobbyHub.Summary(config.pool(), config.consentVersion(), 0, 0, 0, List.of());
        return CompletableFuture.completedFuture(pools.putIfAbsent(config.pool(), pool) == null ? Optional.of(pool)
                : Optional.empty());
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> pool(String poolId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(pools.get(poolId)));
    }

    @Override
    public CompletableFuture<List<LobbyHub.Summary>> pools() {
        return CompletableFuture.completedFuture(new ArrayList<>(pools.values()));
    }

    @Override
    public CompletableFuture<Optional<List<TimeAccounting.PerformerTime>>> poolTimes(String poolId) {
        return CompletableFuture.completedFuture(pools.containsKey(poolId) ? Optional.of(List.of()) : Optional.empty());
    }

    @Override
    public CompletableFuture<Optional<TimeAccounting.PerformerTime>> performerTime(String poolId, String pid) {
        return CompletableFuture.completedFuture(pools.containsKey(poolId)
                ? Optional.of(new TimeAccounting.PerformerTime(pid, 0, 0, 0, 0)) : Optional.empty());
    }

    @Override
    public CompletableFuture<Joined<LobbyRequest>> joinPool(PoolJoin join, MemberConnection connection) {
        if (!pools.containsKey(join.pool()) || (join.role() != Role.PERFORMER && join.role() != Role.MODERATOR)) {
            return CompletableFuture.completedFuture(Joined.refused(ErrorCode.POOL_NOT_FOUND));
        }
        return CompletableFuture.completedFuture(Joined.with(new Recording<>()));
    }

    private final class Recording<M> implements MessageSink<M> {
        @Override
        public void deliver(M message, long receivedAtMicros) {
            delivered.add(message);
        }

        @Override
        public void connectionLost() {
            delivered.add("connection lost");
        }
    }
}
