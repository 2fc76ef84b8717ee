package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * What a client may send on a lobby connection ({@code /ws/lobby/{pool}}). Performers queue, accept or decline
 * offers; moderators only listen (they are available while connected).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = LobbyRequest.Join.class, name = "lobby_join"),
        @JsonSubTypes.Type(value = LobbyRequest.Leave.class, name = "lobby_leave"),
        @JsonSubTypes.Type(value = LobbyRequest.Accept.class, name = "lobby_accept"),
        @JsonSubTypes.Type(value = LobbyRequest.Decline.class, name = "lobby_decline"),
})
public sealed interface LobbyRequest {
    int MAX_LIST = 16;
    int MAX_ITEM_CHARS = 40;

    default String typeName() {
        return TypeNames.of(this);
    }

    /**
     * Queue for a match. {@code consentVersion} must be the version of the pool's consent text the performer
     * accepted (shown in the lobby welcome); anything else is refused and nothing is recorded.
     */
    record Join(List<String> languages, List<String> tags, Boolean wantsTagOverlap, List<String> avoid,
                Integer consentVersion) implements LobbyRequest {
        public Join {
            languages = list(languages, "languages", true);
            tags = list(tags, "tags", false);
            avoid = list(avoid, "avoid", false);
            Check.required(consentVersion, "consentVersion");
            wantsTagOverlap = wantsTagOverlap != null && wantsTagOverlap;
        }

        private static List<String> list(List<String> values, String field, boolean required) {
            if (values == null) {
                if (required) {
                    throw new ProtocolViolation(ErrorCode.MISSING_FIELD, field, "'" + field + "' is required");
                }
                return List.of();
            }
            if (values.size() > MAX_LIST || (required && values.isEmpty())) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, field,
                        "'" + field + "' must list " + (required ? "1" : "0") + " to " + MAX_LIST + " items");
            }
            for (String v : values) {
                Check.text(v, field, MAX_ITEM_CHARS);
            }
            return List.copyOf(values);
        }
    }

    record Leave() implements LobbyRequest {
    }

    record Accept(String offerId) implements LobbyRequest {
        public Accept {
            Check.text(offerId, "offerId", ClientMessage.MAX_ID_CHARS);
        }
    }

    record Decline(String offerId) implements LobbyRequest {
        public Decline {
            Check.text(offerId, "offerId", ClientMessage.MAX_ID_CHARS);
        }
    }
}
