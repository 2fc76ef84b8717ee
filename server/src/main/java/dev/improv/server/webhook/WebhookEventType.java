package dev.improv.server.webhook;

/** The kinds of event an endpoint may subscribe to, with their wire names ({@code room.started}, …). */
public enum WebhookEventType {
    ROOM_STARTED("room.started", null),
    ROOM_ENDED("room.ended", null),
    PARTICIPANT_JOINED("participant.joined", "member_joined"),
    PARTICIPANT_LEFT("participant.left", "member_left"),
    SCENE_STARTED("scene.started", "scene_started"),
    SCENE_ENDED("scene.ended", "scene_ended"),
    CONSENT_RECORDED("consent.recorded", "consent"),
    TAKE_ENDED("take.ended", "take_ended"),
    LOBBY_MATCHED("lobby.matched", null),
    QC_FLAG("qc.flag", "qc_flag"),
    CONSENT_WITHDRAWN("consent.withdrawn", null),
    EXPORT_FINISHED("export.finished", null);

    private final String wireName;
    /** The room event this kind reports, as members receive it; null for kinds that are not room events. */
    private final String roomEventType;

    WebhookEventType(String wireName, String roomEventType) {
        this.wireName = wireName;
        this.roomEventType = roomEventType;
    }

    /** The room event types webhooks report (the journal picks them out on the room thread). */
    static java.util.List<String> roomEventTypes() {
        return java.util.Arrays.stream(values()).map(t -> t.roomEventType).filter(java.util.Objects::nonNull)
                .toList();
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
        for (WebhookEventType t : values()) {
            if (roomEventType.equals(t.roomEventType)) {
                return t;
            }
        }
        return null;
    }
}
