package dev.improv.server.match;

import java.util.Objects;

/**
 * Settings of one pool's lobby.
 *
 * @param pool             pool name, e.g. "english-comedy-evening"; prefix of offer ids
 * @param consentVersion   version of the consent text a performer must accept to join
 * @param consentText      the consent text itself, shown before joining
 * @param rules            how performers are matched
 * @param offerTimeoutMs   how long every member of an offer has to accept it
 * @param requireModerator true: form only as many groups as moderators have free slots; false: form groups
 *                         anyway and report {@link LobbyEvent.ModeratorMissing} when no moderator is free
 * @param estimateStepMs   a waiting performer hears {@link LobbyEvent.PositionChanged} when its place moves or its
 *                         estimate moves by at least this much
 * @param recordMedia      every room the pool opens gets the server-side media recorder (as a room created with
 *                         {@code recordMedia}); never null: absent (pools logged before this field) reads as false
 */
public record LobbyConfig(String pool, int consentVersion, String consentText, MatchRules rules, long offerTimeoutMs,
                          boolean requireModerator, long estimateStepMs, Boolean recordMedia) {
    public LobbyConfig {
        recordMedia = recordMedia != null && recordMedia; // a boxed component, so that an older log's facts decode
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(consentText, "consentText");
        Objects.requireNonNull(rules, "rules");
        if (offerTimeoutMs <= 0) {
            throw new IllegalArgumentException("offerTimeoutMs must be positive");
        }
        if (estimateStepMs < 0) {
            throw new IllegalArgumentException("estimateStepMs must not be negative");
        }
    }

    public LobbyConfig(String pool, int consentVersion, String consentText, MatchRules rules, long offerTimeoutMs,
                       boolean requireModerator, long estimateStepMs) {
        this(pool, consentVersion, consentText, rules, offerTimeoutMs, requireModerator, estimateStepMs, false);
    }

    /** Default rules, 30 s to accept, moderators optional, estimates announced in 5 s steps. */
    public static LobbyConfig of(String pool, int consentVersion, String consentText) {
        return new LobbyConfig(pool, consentVersion, consentText, MatchRules.defaults(), 30_000, false, 5_000);
    }

    public LobbyConfig withRules(MatchRules newRules) {
        return new LobbyConfig(pool, consentVersion, consentText, newRules, offerTimeoutMs, requireModerator,
                estimateStepMs, recordMedia);
    }

    public LobbyConfig withOfferTimeoutMs(long timeoutMs) {
        return new LobbyConfig(pool, consentVersion, consentText, rules, timeoutMs, requireModerator, estimateStepMs,
                recordMedia);
    }

    public LobbyConfig withRequireModerator(boolean required) {
        return new LobbyConfig(pool, consentVersion, consentText, rules, offerTimeoutMs, required, estimateStepMs,
                recordMedia);
    }

    public LobbyConfig withRecordMedia(boolean record) {
        return new LobbyConfig(pool, consentVersion, consentText, rules, offerTimeoutMs, requireModerator,
                estimateStepMs, record);
    }
}
