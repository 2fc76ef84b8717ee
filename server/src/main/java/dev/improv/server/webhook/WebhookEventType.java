package dev.improv.server.webhook;

/** The kinds of event an endpoint may subscribe to, with their wire names ({@code room.started}, …). */
public enum WebhookEventType {
    ROOM_STARTED("room.started"),
    ROOM_ENDED("room.ended"),
    PARTICIPANT_JOINED("participant.joined"),
    PARTICIPANT_LEFT("participant.left"),
    SCENE_STARTED("scene.started"),
    SCENE_ENDED("scene.ended"),
    CONSENT_RECORDED("consent.recorded"),
    LOBBY_MATCHED("lobby.matched");

    private final String wireName;

    WebhookEventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The type with this wire name, or null. */
    public static WebhookEventType fromWire(String name) {
        for (WebhookEventType t : values()) {
            if (t.wireName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The webhook type of a room event type as members receive it ({@code member_joined}, …), or null. */
    static WebhookEventType ofRoomEvent(String roomEventType) {
        return switch (roomEventType) {
            case "member_joined" -> PARTICIPANT_JOINED;
            case "member_left" -> PARTICIPANT_LEFT;
            case "scene_started" -> SCENE_STARTED;
            case "scene_ended" -> SCENE_ENDED;
            case "consent" -> CONSENT_RECORDED;
            default -> null;
        };
    }
}
