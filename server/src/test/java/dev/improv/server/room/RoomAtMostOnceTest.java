package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomTest.BytesFrame;
import dev.improv.server.room.RoomTest.Recording;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Client message ids are applied at most once for the whole room session of a participant (resume window or not),
 * and a refused message is not "applied". Every event is durable at once here, so acks come at once; the owner
 * thread is drained instead of sleeping.
 */
class RoomAtMostOnceTest {
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    /** Resume window 0: a dropped connection's participant is removed on the owner's next turn. */
    final Room room = new RoomRegistry(() -> owner, BytesFrame::new, () -> 1_000_000L, new ServerMetrics(),
            SessionJournal.none(), "test").create("R", new RoomLimits(8, Map.of(), 0, 64));

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    void drain() throws Exception {
        owner.submit(() -> { }).get(20, TimeUnit.SECONDS);
        owner.schedule(() -> { }, 1, TimeUnit.MILLISECONDS).get(20, TimeUnit.SECONDS); // past due timers too
    }

    ErrorCode join(String pid, Role role, Recording conn) throws Exception {
        return owner.submit(() -> room.join(pid, pid, role, -1, conn)).get(20, TimeUnit.SECONDS);
    }

    void handle(String pid, Recording conn, ClientMessage m) throws Exception {
        owner.submit(() -> room.handle(pid, conn, m, 1_000_000L)).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aCidResentAfterTheResumeWindowExpiredIsNotAppliedAgain() throws Exception {
        Recording watcher = new Recording();
        join("w", Role.OBSERVER, watcher);
        Recording mod = new Recording();
        join("m", Role.MODERATOR, mod);
        handle("m", mod, new ClientMessage.PushPrompt("p-1", "only once", null, null));
        handle("m", mod, new ClientMessage.StartScene("s-1", "one"));
        owner.submit(() -> room.connectionLost("m", mod)).get();
        drain();
        assertEquals(1, watcher.ofType("member_left").size(), "the resume window expired: the moderator left");

        Recording back = new Recording();
        assertNull(join("m", Role.MODERATOR, back));
        assertTrue(back.ofType("welcome").get(0).contains("\"resumed\":false"), "a new participant entry");
        handle("m", back, new ClientMessage.PushPrompt("p-1", "only once", null, null));
        handle("m", back, new ClientMessage.StartScene("s-1", "one"));
        drain();
        assertEquals(1, watcher.ofType("prompt").size(), "the resent prompt was not applied again");
        assertEquals(1, watcher.ofType("scene_started").size());
        assertTrue(back.ofType("error").isEmpty(), "no SCENE_STATE: the resent scene_start was not run again");
        assertEquals(2, back.ofType("ack").size());
        assertTrue(back.ofType("ack").stream().allMatch(a -> a.contains("\"duplicate\":true")), back.received.toString());
        String firstAck = mod.ofType("ack").get(0);
        String seq = firstAck.substring(firstAck.indexOf("\"eventSeq\":"),
                firstAck.indexOf(',', firstAck.indexOf("\"eventSeq\":")));
        assertTrue(back.ofType("ack").get(0).contains(seq), "the duplicate names the original event: " + seq);
    }

    @Test
    void aRefusedMessageIsNotAppliedSoItsCidResentLaterIsHandledAsNew() throws Exception {
        Recording watcher = new Recording();
        join("w", Role.OBSERVER, watcher);
        Recording mod = new Recording();
        join("m", Role.MODERATOR, mod);
        handle("m", mod, new ClientMessage.EndScene("e-1"));
        assertEquals(1, mod.ofType("error").size());
        assertTrue(mod.ofType("error").get(0).contains("SCENE_STATE"));
        assertTrue(mod.ofType("ack").isEmpty());
        handle("m", mod, new ClientMessage.StartScene("s-1", null));
        handle("m", mod, new ClientMessage.EndScene("e-1"));
        drain();
        assertEquals(1, watcher.ofType("scene_ended").size(), "the resend was applied, now that it is valid");
        assertEquals(2, mod.ofType("ack").size());
        assertTrue(mod.ofType("ack").stream().noneMatch(a -> a.contains("\"duplicate\":true")), mod.received.toString());
    }

    @Test
    void aLeaveResentAfterARejoinIsADuplicate() throws Exception {
        Recording watcher = new Recording();
        join("w", Role.OBSERVER, watcher);
        Recording ana = new Recording();
        join("a", Role.PERFORMER, ana);
        handle("a", ana, new ClientMessage.Leave("bye"));
        assertEquals(ErrorCode.LEFT, ana.closedWith);
        Recording again = new Recording();
        join("a", Role.PERFORMER, again);
        handle("a", again, new ClientMessage.Leave("bye"));
        drain();
        assertFalse(again.closedWith == ErrorCode.LEFT, "the old leave is not applied to the new stay");
        assertTrue(again.ofType("ack").get(0).contains("\"duplicate\":true"));
        assertEquals(1, watcher.ofType("member_left").size());
    }
}
