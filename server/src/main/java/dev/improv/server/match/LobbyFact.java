package dev.improv.server.match;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.improv.server.protocol.Role;
import java.util.List;
import java.util.Set;

/**
 * One durable fact of a pool, as written to the node's log. A pool's state is the fold of its facts in log
 * order: {@link LobbyHub#replay} feeds the inputs of the pure {@link Lobby} (joins, leaves, accepts, declines,
 * moderators, ticks that changed something — each with its {@code now}) back in, so the queue comes back in its
 * original order with the original arrival times, offers and matches as they were, partner history and time
 * accounting as they were. Times are epoch millis. A {@link PoolSnapshot} is the fold of every fact before it:
 * folding goes on from it as from those facts.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "fact")
@JsonSubTypes({
        @JsonSubTypes.Type(value = LobbyFact.PoolOpened.class, name = "pool_opened"),
        @JsonSubTypes.Type(value = LobbyFact.Connected.class, name = "connected"),
        @JsonSubTypes.Type(value = LobbyFact.Joined.class, name = "joined"),
        @JsonSubTypes.Type(value = LobbyFact.Left.class, name = "left"),
        @JsonSubTypes.Type(value = LobbyFact.Accepted.class, name = "accepted"),
        @JsonSubTypes.Type(value = LobbyFact.Declined.class, name = "declined"),
        @JsonSubTypes.Type(value = LobbyFact.ModeratorAvailable.class, name = "moderator_available"),
        @JsonSubTypes.Type(value = LobbyFact.ModeratorGone.class, name = "moderator_gone"),
        @JsonSubTypes.Type(value = LobbyFact.Ticked.class, name = "ticked"),
        @JsonSubTypes.Type(value = LobbyFact.RoomOpened.class, name = "room_opened"),
        @JsonSubTypes.Type(value = LobbyFact.RoomClosed.class, name = "room_closed"),
        @JsonSubTypes.Type(value = LobbyFact.SceneStarted.class, name = "scene_started"),
        @JsonSubTypes.Type(value = LobbyFact.SceneEnded.class, name = "scene_ended"),
        @JsonSubTypes.Type(value = LobbyFact.PerformerPresent.class, name = "performer_present"),
        @JsonSubTypes.Type(value = LobbyFact.PerformerAbsent.class, name = "performer_absent"),
        @JsonSubTypes.Type(value = PoolSnapshot.class, name = "pool_snapshot"),
        @JsonSubTypes.Type(value = LobbyFact.PoolClosed.class, name = "pool_closed"),
})
public sealed interface LobbyFact permits LobbyFact.PoolOpened, LobbyFact.Connected, LobbyFact.Joined,
        LobbyFact.Left, LobbyFact.Accepted, LobbyFact.Declined, LobbyFact.ModeratorAvailable, LobbyFact.ModeratorGone,
        LobbyFact.Ticked, LobbyFact.RoomOpened, LobbyFact.RoomClosed, LobbyFact.SceneStarted, LobbyFact.SceneEnded,
        LobbyFact.PerformerPresent, LobbyFact.PerformerAbsent, PoolSnapshot, LobbyFact.PoolClosed {
    /** When the fact happened (epoch millis) for facts that carry a time; 0 for the others. */
    default long now() {
        return 0;
    }

    /** The pool was opened with this configuration. Its first fact (until a snapshot stands for it). */
    record PoolOpened(LobbyConfig config, int moderatorCapacity) implements LobbyFact {
    }

    /**
     * The pool was closed by an operator: its last fact (everyone's {@code left} and {@code moderator_gone} come
     * right before it). A restart does not rebuild it, and none of its records keeps a segment any more; the same
     * id may be opened again as a new pool.
     */
    record PoolClosed(long now) implements LobbyFact {
    }

    /** A lobby link connected (the name is needed for room links handed out later). */
    record Connected(String pid, String name, Role role) implements LobbyFact {
    }

    /** A performer asked to queue. */
    record Joined(String pid, Set<String> languages, Set<String> tags, boolean wantsTagOverlap, Set<String> avoid,
                  int consentVersion, long now) implements LobbyFact {
    }

    record Left(String pid, long now) implements LobbyFact {
    }

    record Accepted(String pid, String offerId, long now) implements LobbyFact {
    }

    record Declined(String pid, String offerId, long now) implements LobbyFact {
    }

    record ModeratorAvailable(String mid, int capacity) implements LobbyFact {
    }

    record ModeratorGone(String mid, long now) implements LobbyFact {
    }

    /** A periodic tick at {@code now} that changed something (a tick that changes nothing is not written). */
    record Ticked(long now) implements LobbyFact {
    }

    /** The room made from a confirmed offer. */
    record RoomOpened(String offerId, String roomId, List<String> pids, String moderatorId) implements LobbyFact {
    }

    record RoomClosed(String offerId, String roomId) implements LobbyFact {
    }

    /** Time accounting: a scene started in a room of this pool with these performers present. */
    record SceneStarted(String roomId, List<String> pids, long now) implements LobbyFact {
    }

    record SceneEnded(String roomId, long now) implements LobbyFact {
    }

    record PerformerPresent(String roomId, String pid, long now) implements LobbyFact {
    }

    record PerformerAbsent(String roomId, String pid, long now) implements LobbyFact {
    }
}
