package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.protocol.ClientMessage;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoomCommandsTest {
    @Test
    void everyClientMessageTypeHasAHandler() {
        assertEquals(Set.of(ClientMessage.class.getPermittedSubclasses()), RoomCommands.handledTypes());
    }
}
