package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.RoomEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which room events the journal hands to webhooks, decided on the room thread by the event's first bytes. */
class WebhookJournalTest {
    static boolean reported(String json) {
        return WebhookJournal.reported(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void reportsExactlyTheKindsWebhooksSend() {
        assertTrue(WebhookJournal.reported(ProtocolCodec.encode(new RoomEvent.SceneEnded(4, 1, "m-1", 2))));
        assertTrue(WebhookJournal.reported(ProtocolCodec.encode(new RoomEvent.MemberLeft(5, 1, "p-1", "p-1", "left"))));
        assertTrue(reported("{\"type\":\"member_joined\",\"seq\":1}"));
        assertTrue(reported("{\"type\":\"consent\",\"seq\":1}"));
        assertTrue(reported("{\"type\":\"take_ended\",\"seq\":9}"));
        assertTrue(WebhookEventType.ofRoomEvent("take_ended") == WebhookEventType.TAKE_ENDED);
        assertFalse(reported("{\"type\":\"consent_x\",\"seq\":1}"));
        assertFalse(reported("{\"type\":\"prompt\",\"seq\":1}"));
        assertFalse(WebhookJournal.reported(ProtocolCodec.encode(new RoomEvent.RoomLocked(3, 1, "m-1", true))));
        assertFalse(reported("{\"type\":\"consent"));
        assertFalse(reported(""));
    }
}
