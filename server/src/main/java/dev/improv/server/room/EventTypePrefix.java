package dev.improv.server.room;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Picks room events out of the serialized bytes by their exact type without parsing them: every event begins
 * with {@code {"type":"<name>"} (the codec writes the type first), so a match is the bytes {@code {"type":"},
 * the name, and then the closing quote — {@code consent} does not match {@code consent_x}. For journal wrappers
 * on a room's owner thread, where a parse per event would cost more than the event.
 */
public final class EventTypePrefix {
    private static final byte[] OPEN = "{\"type\":\"".getBytes(StandardCharsets.US_ASCII);

    private final List<String> names;
    private final List<byte[]> prefixes;

    private EventTypePrefix(Collection<String> names) {
        this.names = List.copyOf(names);
        this.prefixes = this.names.stream().map(n -> {
            byte[] name = n.getBytes(StandardCharsets.US_ASCII);
            byte[] p = Arrays.copyOf(OPEN, OPEN.length + name.length);
            System.arraycopy(name, 0, p, OPEN.length, name.length);
            return p;
        }).toList();
    }

    /** Matches events of exactly these types. */
    public static EventTypePrefix of(Collection<String> typeNames) {
        return new EventTypePrefix(typeNames);
    }

    public static EventTypePrefix of(String... typeNames) {
        return new EventTypePrefix(List.of(typeNames));
    }

    /** The type names matched, in the order given. */
    public List<String> names() {
        return names;
    }

    /** Whether the event's type is exactly one of the names. */
    public boolean matches(byte[] eventJson) {
        for (byte[] p : prefixes) {
            if (eventJson.length > p.length && eventJson[p.length] == '"'
                    && Arrays.equals(eventJson, 0, p.length, p, 0, p.length)) {
                return true;
            }
        }
        return false;
    }
}
