package dev.improv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.Role;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The admin API's request bodies, decoded by the protocol's strict codec ({@link HttpExchange#body}); each record
 * checks its fields in its constructor, and every failure names the field and says why, as on the WebSocket.
 * The limits here are the one place names, counts and lifetimes of the admin API are capped.
 */
public final class AdminBodies {
    /** Room names, participant names and link names: the same cap everywhere. */
    public static final int MAX_NAME_CHARS = 80;
    /** Links one create-room call may ask for, per role. */
    public static final int MAX_LINKS_PER_ROLE = 32;
    /** The longest link lifetime an admin may ask for (365 days): expiry arithmetic can never overflow. */
    public static final long MAX_TTL_SECONDS = 365L * 24 * 3600;
    public static final int MAX_CONSENT_CHARS = 20_000;
    /** Pool ids: part of lobby URLs and log records. */
    public static final Pattern POOL_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    private AdminBodies() {
    }

    /**
     * {@code POST /api/rooms}; every field optional. The role fields are a count of links or a list of names
     * (null entries get a default name).
     */
    public record CreateRoom(String name, JsonNode performers, JsonNode moderators, JsonNode recorders,
                             JsonNode observers, Integer maxPerformers, Long ttlSeconds, Boolean recordMedia,
                             Integer consentVersion, String consentText) {
        public CreateRoom {
            if ((consentVersion == null) != (consentText == null)) {
                throw invalid(consentVersion == null ? "consentVersion" : "consentText", "'consentVersion' and "
                        + "'consentText' go together: the room's own stage consent text and its version");
            }
            if (consentVersion != null && consentVersion < 1) {
                throw invalid("consentVersion", "'consentVersion' must be a whole number >= 1");
            }
            if (consentText != null && (consentText.isBlank() || consentText.length() > MAX_CONSENT_CHARS)) {
                throw invalid("consentText", "'consentText' must be 1.." + MAX_CONSENT_CHARS + " characters");
            }
            name = optionalName(name, "name");
            ttlSeconds = ttl(ttlSeconds);
            if (maxPerformers != null && maxPerformers < 1) {
                throw invalid("maxPerformers", "'maxPerformers' must be at least 1");
            }
            recordMedia = recordMedia != null && recordMedia;
            names(performers, "performers", 2);
            names(moderators, "moderators", 1);
            names(recorders, "recorders", 1);
            names(observers, "observers", 1);
        }

        /** The names of the links wanted for {@code role} (null = a default name), in the order given. */
        public List<String> linksFor(Role role) {
            return switch (role) {
                case PERFORMER -> names(performers, "performers", 2);
                case MODERATOR -> names(moderators, "moderators", 1);
                case RECORDER -> names(recorders, "recorders", 1);
                case OBSERVER -> names(observers, "observers", 1);
            };
        }
    }

    /** {@code POST /api/rooms/{id}/links} and {@code POST /api/pools/{id}/links}. */
    public record NewLink(String role, String name, Long ttlSeconds, Boolean media) {
        public NewLink {
            if (role == null) {
                throw new ProtocolViolation(ErrorCode.MISSING_FIELD, "role",
                        "'role' is required: performer, moderator, recorder or observer");
            }
            media = media != null && media;
            if (media && !role.equals(Role.RECORDER.wireName())) {
                throw invalid("media", "'media' links are recorder links: the room's media recorder");
            }
            name = optionalName(name, "name");
            ttlSeconds = ttl(ttlSeconds);
        }

        public Role roleIn(List<Role> allowed) {
            for (Role r : allowed) {
                if (r.wireName().equals(role)) {
                    return r;
                }
            }
            throw invalid("role", "'role' must be one of " + allowed.stream().map(Role::wireName).toList());
        }
    }

    /**
     * {@code POST /api/pools}: {@code id}, {@code consentVersion}, {@code consentText} required; the rest have the
     * defaults in {@code docs/operations.md}.
     */
    public record OpenPool(String id, Integer consentVersion, String consentText, Integer roomSize,
                           Integer moderatorCapacity, Long offerTimeoutMs, Boolean requireModerator,
                           Integer recentSessions, Long relaxTagsAfterMs, Long relaxRepeatAfterMs,
                           Boolean recordMedia) {
        public OpenPool {
            if (id == null || !POOL_ID.matcher(id).matches()) {
                throw invalid("id", "'id' must be 1-40 of a-z, 0-9 and '-', starting with a letter or digit");
            }
            if (consentVersion == null || consentVersion < 1) {
                throw invalid("consentVersion", "'consentVersion' must be a whole number >= 1");
            }
            if (consentText == null || consentText.isBlank() || consentText.length() > MAX_CONSENT_CHARS) {
                throw invalid("consentText", "'consentText' is required, at most " + MAX_CONSENT_CHARS
                        + " characters");
            }
            roomSize = within(roomSize, "roomSize", 2, 2, 8);
            moderatorCapacity = within(moderatorCapacity, "moderatorCapacity", 3, 1, 50);
            recentSessions = within(recentSessions, "recentSessions", 3, 0, 100);
            offerTimeoutMs = millis(offerTimeoutMs, "offerTimeoutMs", 30_000);
            relaxTagsAfterMs = millis(relaxTagsAfterMs, "relaxTagsAfterMs", 60_000);
            relaxRepeatAfterMs = millis(relaxRepeatAfterMs, "relaxRepeatAfterMs", 120_000);
            requireModerator = requireModerator != null && requireModerator;
            recordMedia = recordMedia != null && recordMedia;
        }
    }

    /** A display name: absent, or 1 to {@link #MAX_NAME_CHARS} characters, not blank. */
    static String optionalName(String value, String field) {
        if (value == null) {
            return null;
        }
        if (value.isBlank() || value.length() > MAX_NAME_CHARS) {
            throw invalid(field, "'" + field + "' must be a non-empty text of at most " + MAX_NAME_CHARS
                    + " characters");
        }
        return value;
    }

    /** A link lifetime: absent or 0 = the server's default, else 1 to {@link #MAX_TTL_SECONDS}. */
    static long ttl(Long value) {
        if (value == null) {
            return 0;
        }
        if (value < 0 || value > MAX_TTL_SECONDS) {
            throw invalid("ttlSeconds", "'ttlSeconds' must be 0 (the default) to " + MAX_TTL_SECONDS
                    + " (365 days)");
        }
        return value;
    }

    static List<String> names(JsonNode node, String field, int defaultCount) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return Collections.nCopies(defaultCount, null);
        }
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            int n = node.intValue();
            if (n < 0 || n > MAX_LINKS_PER_ROLE) {
                throw invalid(field, "'" + field + "' must be 0.." + MAX_LINKS_PER_ROLE);
            }
            return Collections.nCopies(n, null);
        }
        if (node.isArray()) {
            if (node.size() > MAX_LINKS_PER_ROLE) {
                throw invalid(field, "'" + field + "' may list at most " + MAX_LINKS_PER_ROLE + " names");
            }
            List<String> out = new ArrayList<>(node.size());
            for (JsonNode n : node) {
                if (!n.isNull() && !n.isTextual()) {
                    throw invalid(field, "'" + field + "' must list names (texts)");
                }
                out.add(optionalName(n.isNull() ? null : n.textValue(), field));
            }
            return out;
        }
        throw invalid(field, "'" + field + "' must be a count or a list of names");
    }

    private static int within(Integer value, String field, int fallback, int min, int max) {
        if (value == null) {
            return fallback;
        }
        if (value < min || value > max) {
            throw invalid(field, "'" + field + "' must be a whole number " + min + ".." + max);
        }
        return value;
    }

    private static long millis(Long value, String field, long fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1 || value > MAX_TTL_SECONDS * 1000) {
            throw invalid(field, "'" + field + "' must be a positive number of milliseconds, at most 365 days");
        }
        return value;
    }

    private static ProtocolViolation invalid(String field, String message) {
        return new ProtocolViolation(ErrorCode.INVALID_FIELD, field, message);
    }
}
