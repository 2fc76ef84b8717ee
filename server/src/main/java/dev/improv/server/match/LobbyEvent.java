package dev.improv.server.match;

import java.util.List;

/**
 * What a {@link Lobby} call produced, in order. The transport turns each into messages; the javadoc of each type
 * says who should hear it. Times are epoch millis; an estimated wait of -1 means "no estimate yet".
 */
public sealed interface LobbyEvent {
    /** Why the lobby said no. */
    enum RefusalReason { CONSENT_VERSION_MISMATCH, UNKNOWN_OFFER, NOT_IN_OFFER, OFFER_EXPIRED }

    /** Why an offer ended without a room. */
    enum OfferEndCause { TIMEOUT, DECLINED, LEFT }

    /** To {@code pid}: you are waiting (again) at {@code position} (1 = next). */
    record Queued(String pid, int position, long estimatedWaitMs) implements LobbyEvent {
    }

    /** To {@code pid}: your place or estimate moved. */
    record PositionChanged(String pid, int position, long estimatedWaitMs) implements LobbyEvent {
    }

    /** To {@code pid}: you have left the lobby. */
    record Left(String pid) implements LobbyEvent {
    }

    /** To each of {@code pids} and the moderator (null if none was free): accept by {@code expiresAt}. */
    record Offered(String offerId, List<String> pids, String moderatorId, long expiresAt) implements LobbyEvent {
    }

    /** To {@code pid}: your accept is recorded; the others have not all accepted yet. */
    record Accepted(String offerId, String pid) implements LobbyEvent {
    }

    /**
     * To the caller: everyone accepted. Create the room, send each performer (and the moderator, if any) its join
     * link, and write {@code consentRecords} to the room's session log.
     */
    record Confirmed(String offerId, List<String> pids, String moderatorId, List<ConsentRecord> consentRecords)
            implements LobbyEvent {
    }

    /**
     * To every listed performer: the offer is gone. {@code droppedPids} left the lobby (they did not accept in
     * time, declined or left); {@code requeuedPids} are waiting again with their original priority, and each also
     * gets a {@link Queued}.
     */
    record OfferExpired(String offerId, List<String> droppedPids, List<String> requeuedPids, OfferEndCause cause)
            implements LobbyEvent {
    }

    /** To {@code pid}: refused, nothing changed. */
    record Refused(String pid, RefusalReason reason) implements LobbyEvent {
    }

    /** To staff: the offer or room {@code offerId} has no moderator and none is free. */
    record ModeratorMissing(String offerId, List<String> pids) implements LobbyEvent {
    }

    /** To the moderator and the performers: {@code moderatorId} now watches offer or room {@code offerId}. */
    record ModeratorAssigned(String offerId, List<String> pids, String moderatorId) implements LobbyEvent {
    }
}
