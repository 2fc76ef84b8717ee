package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Messages the server sends on a lobby connection. Direct messages: no seq. */
public final class LobbyMessage {
    private LobbyMessage() {
    }

    /** First message: who you are, and the consent text (with its version) to accept before queueing. */
    public record Welcome(int v, String pool, ServerMessage.Member you, Consent consent, long serverTs)
            implements ServerMessage {
    }

    public record Consent(int version, String text) {
    }

    /** You wait at {@code position} (1 = next); {@code estimatedWaitMs} is -1 while there is no estimate. */
    public record Queued(int position, long estimatedWaitMs) implements ServerMessage {
    }

    /**
     * A match: accept before {@code expiresAt} (epoch ms). {@code people}: the display names of the performers and
     * the moderator, so that pages name them instead of showing ids.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Offer(String offerId, List<String> performers, String moderator, long expiresAt,
                        List<Person> people) implements ServerMessage {
    }

    /** A participant's id with the display name from their link. */
    public record Person(String id, String name) {
    }

    /** The offer ended without a room; {@code requeued} says whether you wait again with your old priority. */
    public record OfferEnded(String offerId, String cause, boolean requeued) implements ServerMessage {
    }

    /** Everyone accepted: join the room with this link (no second click needed). */
    public record Matched(String offerId, String roomId, String token, String url) implements ServerMessage {
    }

    /** You are out of the lobby. */
    public record Left(String reason) implements ServerMessage {
    }

    /** For moderators: the pool at a glance. */
    public record State(String pool, int waiting, int offers, List<RoomRef> rooms) implements ServerMessage {
    }

    /** A matched room: its performers and moderator by id, and {@code people} with their display names. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RoomRef(String roomId, List<String> performers, String moderator, List<Person> people) {
    }
}
