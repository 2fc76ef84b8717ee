package dev.improv.server.routing;

import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.RoomSummary;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The rooms and pools of this process. Snapshot queries complete at once (summaries are published by the owner
 * threads); joins and time accounting complete on the owner thread of the room or pool.
 */
public final class LocalRouter implements Router {
    private final RoomRegistry rooms;
    private final LobbyRegistry lobbies;

    public LocalRouter(RoomRegistry rooms, LobbyRegistry lobbies) {
        this.rooms = rooms;
        this.lobbies = lobbies;
    }

    @Override
    public CompletableFuture<RoomSummary> createRoom(String name, RoomLimits limits) {
        return CompletableFuture.completedFuture(rooms.create(name, limits).summary());
    }

    @Override
    public CompletableFuture<Optional<RoomSummary>> room(String roomId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(rooms.get(roomId)).map(Room::summary));
    }

    @Override
    public CompletableFuture<List<RoomSummary>> rooms() {
        return CompletableFuture.completedFuture(rooms.all().stream().map(Room::summary).toList());
    }

    @Override
    public CompletableFuture<Boolean> closeRoom(String roomId, String reason) {
        return rooms.close(roomId, reason);
    }

    @Override
    public CompletableFuture<Boolean> isMember(String roomId, String participantId) {
        return CompletableFuture.completedFuture(rooms.isMember(roomId, participantId));
    }

    @Override
    public CompletableFuture<Joined<ClientMessage>> joinRoom(RoomJoin join, MemberConnection connection) {
        Room room = rooms.get(join.roomId());
        if (room == null) {
            return CompletableFuture.completedFuture(Joined.refused(ErrorCode.ROOM_NOT_FOUND));
        }
        CompletableFuture<Joined<ClientMessage>> outcome = new CompletableFuture<>();
        room.execute(() -> {
            ErrorCode refusal = room.join(join.participantId(), join.displayName(), join.role(), join.capabilities(),
                    join.lastSeq(), connection);
            outcome.complete(refusal != null ? Joined.refused(refusal)
                    : Joined.with(new RoomSink(room, join.participantId(), connection)));
        });
        return outcome;
    }

    /** A joined participant's messages, handed to the room's owner thread in order (signals without a cid: relayed here). */
    private record RoomSink(Room room, String participantId, MemberConnection connection)
            implements MessageSink<ClientMessage> {
        @Override
        public void deliver(ClientMessage message, long receivedAtMicros) {
            if (message instanceof ClientMessage.Signal signal && signal.cid() == null) {
                room.relaySignal(participantId, connection, signal); // on this thread: see Room#relaySignal
                return;
            }
            room.execute(() -> room.handle(participantId, connection, message, receivedAtMicros));
        }

        @Override
        public void connectionLost() {
            room.execute(() -> room.connectionLost(participantId, connection));
        }
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> openPool(LobbyConfig config, int moderatorCapacity) {
        return CompletableFuture.completedFuture(Optional.ofNullable(lobbies.open(config, moderatorCapacity))
                .map(LobbyHub::summary));
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Summary>> pool(String poolId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(lobbies.get(poolId)).map(LobbyHub::summary));
    }

    @Override
    public CompletableFuture<List<LobbyHub.Summary>> pools() {
        return CompletableFuture.completedFuture(lobbies.all().stream().map(LobbyHub::summary).toList());
    }

    @Override
    public CompletableFuture<Optional<LobbyHub.Closed>> closePool(String poolId) {
        CompletableFuture<Optional<LobbyHub.Closed>> out = new CompletableFuture<>();
        lobbies.close(poolId, closed -> out.complete(Optional.ofNullable(closed)));
        return out;
    }

    @Override
    public CompletableFuture<Optional<List<TimeAccounting.PerformerTime>>> poolTimes(String poolId) {
        LobbyHub hub = lobbies.get(poolId);
        if (hub == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Optional<List<TimeAccounting.PerformerTime>>> out = new CompletableFuture<>();
        hub.allTimes(times -> out.complete(Optional.of(times)));
        return out;
    }

    @Override
    public CompletableFuture<Optional<List<TimeAccounting.DayTime>>> poolDays(String poolId) {
        LobbyHub hub = lobbies.get(poolId);
        if (hub == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Optional<List<TimeAccounting.DayTime>>> out = new CompletableFuture<>();
        hub.allDays(days -> out.complete(Optional.of(days)));
        return out;
    }

    @Override
    public CompletableFuture<Optional<TimeAccounting.PerformerTime>> performerTime(String poolId,
                                                                                   String participantId) {
        LobbyHub hub = lobbies.get(poolId);
        if (hub == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<Optional<TimeAccounting.PerformerTime>> out = new CompletableFuture<>();
        hub.timeOf(participantId, time -> out.complete(Optional.of(time)));
        return out;
    }

    @Override
    public CompletableFuture<Joined<LobbyRequest>> joinPool(PoolJoin join, MemberConnection connection) {
        LobbyHub hub = lobbies.get(join.pool());
        if (hub == null) {
            return CompletableFuture.completedFuture(Joined.refused(ErrorCode.POOL_NOT_FOUND));
        }
        // connect runs on the hub's thread before anything delivered later: one FIFO executor.
        hub.execute(() -> hub.connect(join.participantId(), join.displayName(), join.role(), connection));
        return CompletableFuture.completedFuture(Joined.with(new PoolSink(hub, join.participantId(), connection)));
    }

    /** A lobby member's requests, handed to the hub's owner thread in order. */
    private record PoolSink(LobbyHub hub, String participantId, MemberConnection connection)
            implements MessageSink<LobbyRequest> {
        @Override
        public void deliver(LobbyRequest message, long receivedAtMicros) {
            hub.execute(() -> hub.handle(participantId, connection, message));
        }

        @Override
        public void connectionLost() {
            hub.execute(() -> hub.connectionLost(participantId, connection));
        }
    }
}
