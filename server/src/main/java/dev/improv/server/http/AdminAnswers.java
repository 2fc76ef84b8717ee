package dev.improv.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.TimeAccounting;
import dev.improv.server.room.RoomSummary;
import java.util.List;

/**
 * The admin API's answer bodies that are not a domain record themselves. The routes write these records and their
 * {@link ApiDoc}s name them, so the OpenAPI description is made from the very types that are sent.
 */
public final class AdminAnswers {
    private AdminAnswers() {
    }

    /** {@code GET /api/rooms}. */
    public record RoomList(List<RoomSummary> rooms) {
    }

    /**
     * {@code POST /api/rooms}: the room, one link per requested participant, and with {@code recordMedia} whether
     * the media recorder started ({@code recording} or {@code failed: …}).
     */
    public record CreatedRoom(RoomSummary room, List<JoinLinks.Link> links,
                              @JsonInclude(JsonInclude.Include.NON_NULL) String media) {
    }

    /** {@code DELETE /api/rooms/{id}}. */
    public record ClosedRoom(String closed) {
    }

    /** {@code GET /api/pools}. */
    public record PoolList(List<LobbyHub.Summary> pools) {
    }

    /** {@code POST /api/pools}: the pool and its moderator's lobby link. */
    public record OpenedPool(LobbyHub.Summary pool, List<JoinLinks.Link> links) {
    }

    /**
     * {@code DELETE /api/pools/{id}}: when the pool closed, whom it told, and every performer's final time
     * accounting and day lines (the pool's pay statement: the pool and its log records are gone afterwards).
     */
    public record ClosedPool(String pool, long closedAt, int connectionsTold, int offersEnded,
                             List<TimeAccounting.PerformerTime> performers, List<TimeAccounting.DayTime> days) {
    }

    /** {@code GET /api/pools/{id}/time}. */
    public record PoolTimes(String pool, List<TimeAccounting.PerformerTime> performers) {
    }

    /** {@code GET /api/sessions}. */
    public record SessionList(List<SessionArchive.SessionSummary> sessions) {
    }

    /** {@code GET /api/sessions/{id}} of a session whose metadata file is missing. */
    public record SessionStub(String sessionId) {
    }

    /** {@code GET /healthz}. */
    public record Health(String status, int rooms, int connections,
                         @JsonInclude(JsonInclude.Include.NON_NULL) ClusterHealth cluster) {
        public Health(String status, int rooms, int connections) {
            this(status, rooms, connections, null);
        }
    }

    /**
     * {@code /healthz} in cluster mode: this node's name, whether its NATS connection is up, the server nodes
     * heard from (itself included), the room leases it holds, and the rooms each node owns as this node last saw
     * their leases (a lobby pool's next room goes to the alive node with the fewest).
     */
    public record ClusterHealth(String node, boolean connected, int nodes, int leasesHeld,
                                java.util.Map<String, Integer> roomsPerNode) {
    }
}
