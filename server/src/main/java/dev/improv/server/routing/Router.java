package dev.improv.server.routing;

import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomSummary;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The one way to reach rooms and lobby pools, for WebSocket sessions and the admin API alike. A caller never holds
 * a room or a hub: it gets snapshots, and a {@link MessageSink} for a joined session. Thread-safe; every method
 * returns at once and completes its future when the owner answered (callers hop back to their own thread).
 */
public interface Router {
    // ------------------------------------------------------------------ rooms

    /** Opens a room with a fresh id and session. */
    CompletableFuture<RoomSummary> createRoom(String name, RoomLimits limits);

    /** The room's current snapshot; empty when there is no open room with this id. */
    CompletableFuture<Optional<RoomSummary>> room(String roomId);

    CompletableFuture<List<RoomSummary>> rooms();

    /** Ends a room (members get {@code room_closed}); true once that event is durable, false when there was no such room. */
    CompletableFuture<Boolean> closeRoom(String roomId, String reason);

    /**
     * Whether this participant is a current member of a live room: joined and not removed (kicked, left, resume
     * window over), and the room not closed. A participant within its resume window is still a member.
     */
    CompletableFuture<Boolean> isMember(String roomId, String participantId);

    /**
     * Joins (or rejoins) a verified participant; {@code connection} gets the room's messages from then on. Refusals:
     * {@code ROOM_NOT_FOUND}, {@code ROOM_CLOSED}, {@code KICKED}, {@code ROOM_FULL}, {@code ROLE_FULL},
     * {@code ROOM_LOCKED}.
     */
    CompletableFuture<Joined<ClientMessage>> joinRoom(RoomJoin join, MemberConnection connection);

    // ------------------------------------------------------------------ lobby pools

    /** Opens a pool; empty when one with this id is already open. */
    CompletableFuture<Optional<LobbyHub.Summary>> openPool(LobbyConfig config, int moderatorCapacity);

    CompletableFuture<Optional<LobbyHub.Summary>> pool(String poolId);

    CompletableFuture<List<LobbyHub.Summary>> pools();

    /** Every performer the pool has seen, with their time; empty when there is no such pool. */
    CompletableFuture<Optional<List<TimeAccounting.PerformerTime>>> poolTimes(String poolId);

    /** One performer's time in a pool; empty when there is no such pool. */
    CompletableFuture<Optional<TimeAccounting.PerformerTime>> performerTime(String poolId, String participantId);

    /**
     * A pool's pay statement lines: every performer's lobby, offer and scene time and scenes completed per UTC day,
     * from the same facts as {@link #poolTimes}; empty when there is no such pool. A router that cannot answer it
     * fails the future with {@link UnsupportedOperationException}.
     */
    default CompletableFuture<Optional<List<TimeAccounting.DayTime>>> poolDays(String poolId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("pay statements by day"));
    }

    /**
     * Closes a pool (see {@code LobbyHub#close}): empty when there is no such pool; refused (the outcome names
     * them) while rooms it made are open. A router that cannot close pools fails the future with
     * {@link UnsupportedOperationException}.
     */
    default CompletableFuture<Optional<LobbyHub.Closed>> closePool(String poolId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("closing a pool"));
    }

    /** Connects a verified performer or moderator to a pool's lobby. Refusal: {@code POOL_NOT_FOUND}. */
    CompletableFuture<Joined<LobbyRequest>> joinPool(PoolJoin join, MemberConnection connection);
}
