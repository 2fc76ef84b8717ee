package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.HashMap;
import java.util.Map;

/** Wire names of message records, read once from the {@code @JsonSubTypes} tables so they cannot drift. */
final class TypeNames {
    private static final Map<Class<?>, String> NAMES = new HashMap<>();

    static {
        register(ClientMessage.class);
        register(ServerMessage.class);
        register(RoomEvent.class);
        register(LobbyRequest.class);
    }

    private TypeNames() {
    }

    private static void register(Class<?> root) {
        JsonSubTypes table = root.getAnnotation(JsonSubTypes.class);
        for (JsonSubTypes.Type t : table.value()) {
            if (!t.name().isEmpty()) {
                NAMES.put(t.value(), t.name());
            }
        }
    }

    static String of(Object message) {
        String name = NAMES.get(message.getClass());
        if (name == null) {
            throw new IllegalStateException("no wire name for " + message.getClass());
        }
        return name;
    }
}
