package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The five families of wire messages, by connection and direction, each with its type names read from the
 * {@code @JsonSubTypes} tables (the one list of names). A type name is unique within a direction, not across
 * directions: {@code prompt}, {@code signal} and {@code time_sync} exist both ways.
 */
public enum MessageKind {
    /** Client to server on a room connection. */
    ROOM_CLIENT("room-client", true),
    /** Server to one room connection, no seq (welcome, signal, ack, …). */
    ROOM_SERVER("room-server", false),
    /** Room events: server to every member, with the room's seq; the session log stores them. */
    ROOM_EVENT("room-event", false),
    /** Client to server on a lobby connection. */
    LOBBY_CLIENT("lobby-client", true),
    /** Server to one lobby connection. */
    LOBBY_SERVER("lobby-server", false);

    private final String folder;
    private final boolean fromClient;
    private Map<String, Class<?>> types;

    MessageKind(String folder, boolean fromClient) {
        this.folder = folder;
        this.fromClient = fromClient;
    }

    /** Folder name of this family's JSON Schemas under {@code docs/schemas/}. */
    public String folder() {
        return folder;
    }

    public boolean fromClient() {
        return fromClient;
    }

    /** Type name to record class, in the order of the subtype table. */
    public synchronized Map<String, Class<?>> types() {
        if (types == null) {
            types = Collections.unmodifiableMap(collect());
        }
        return types;
    }

    private Map<String, Class<?>> collect() {
        Map<String, Class<?>> out = new LinkedHashMap<>();
        Class<?> root = switch (this) {
            case ROOM_CLIENT -> ClientMessage.class;
            case ROOM_SERVER, LOBBY_SERVER -> ServerMessage.class;
            case ROOM_EVENT -> RoomEvent.class;
            case LOBBY_CLIENT -> LobbyRequest.class;
        };
        for (JsonSubTypes.Type t : root.getAnnotation(JsonSubTypes.class).value()) {
            if (t.name().isEmpty()) {
                continue; // RoomEvent inside ServerMessage: its names are in its own table
            }
            boolean lobby = t.value().getEnclosingClass() == LobbyMessage.class;
            if (this == ROOM_SERVER && lobby || this == LOBBY_SERVER && !lobby) {
                continue;
            }
            out.put(t.name(), t.value());
        }
        return out;
    }
}
