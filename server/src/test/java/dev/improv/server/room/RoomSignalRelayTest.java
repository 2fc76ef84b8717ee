package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Signals without a {@code cid} are relayed on the sender's thread from the connections the owner published
 * (Room#relaySignal): the owner thread is not needed, and what the owner has not published yet (or no longer
 * holds) is not used.
 */
class RoomSignalRelayTest {
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    final Room room = new RoomRegistry(() -> owner, RoomTest.BytesFrame::new, () -> 1_000_000L, new ServerMetrics(),
            new RoomTest.HeldJournal(), "test").create("R", new RoomLimits(4, Map.of(Role.PERFORMER, 2), 60_000, 16));

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    static ClientMessage.Signal signal(String to) {
        return (ClientMessage.Signal) ProtocolCodec.decodeClient(("{\"type\":\"signal\",\"to\":\"" + to
                + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\"v=0\"}}").getBytes(StandardCharsets.UTF_8));
    }

    void onOwner(Runnable task) throws Exception {
        owner.submit(task).get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    void join(String pid, RoomTest.Recording conn) throws Exception {
        owner.submit(() -> assertNull(room.join(pid, pid, Role.PERFORMER, -1, conn)))
                .get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aSignalIsRelayedWhileTheOwnerThreadIsBusy() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        RoomTest.Recording ben = new RoomTest.Recording();
        join("a", ana);
        join("b", ben);
        CountDownLatch release = new CountDownLatch(1);
        owner.execute(() -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertTrue(room.relaySignal("a", ana, signal("b")));
            assertEquals(1, ben.ofType("signal").size(), "relayed on this thread, the owner still busy");
            assertEquals("{\"type\":\"signal\",\"from\":\"a\",\"kind\":\"offer\",\"data\":{\"sdp\":\"v=0\"}}",
                    ben.ofType("signal").get(0));
        } finally {
            release.countDown();
        }
    }

    @Test
    void aMemberCanSignalAsSoonAsItsWelcomeIsSent() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        join("a", ana);
        boolean[] relayedFromWelcome = new boolean[1];
        // The fastest client: it answers its welcome before the owner has finished the join.
        RoomTest.Recording ben = new RoomTest.Recording() {
            @Override
            public void send(ServerMessage message) {
                super.send(message);
                if (message instanceof ServerMessage.Welcome) {
                    relayedFromWelcome[0] = room.relaySignal("b", this, signal("a"));
                }
            }
        };
        join("b", ben);
        assertTrue(relayedFromWelcome[0], "the welcome went out after ben's connection was published");
        int joined = ana.received.indexOf(ana.ofType("member_joined").get(0));
        int relayed = ana.received.indexOf(ana.ofType("signal").get(0));
        assertTrue(joined < relayed, "ana hears of ben before ben's signal: " + ana.received);
    }

    @Test
    void aMemberWhoIsNotConnectedOrIsTheSenderIsRefusedNamingTo() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        RoomTest.Recording ben = new RoomTest.Recording();
        join("a", ana);
        join("b", ben);
        onOwner(() -> room.connectionLost("b", ben));
        assertFalse(room.relaySignal("a", ana, signal("b")));
        assertFalse(room.relaySignal("a", ana, signal("a")));
        assertFalse(room.relaySignal("a", ana, signal("nobody")));
        assertEquals(3, ana.ofType("error").size(), ana.received.toString());
        for (String error : ana.ofType("error")) {
            assertTrue(error.contains("\"code\":\"UNKNOWN_PEER\"") && error.contains("\"field\":\"to\""), error);
        }
        assertTrue(ben.ofType("signal").isEmpty());
        assertTrue(ana.ofType("signal").isEmpty());
    }

    @Test
    void aReplacedOrRemovedConnectionIsNotUsedAgain() throws Exception {
        RoomTest.Recording ana = new RoomTest.Recording();
        RoomTest.Recording ben = new RoomTest.Recording();
        RoomTest.Recording benAgain = new RoomTest.Recording();
        join("a", ana);
        join("b", ben);
        join("b", benAgain);
        assertTrue(room.relaySignal("a", ana, signal("b")));
        assertTrue(ben.ofType("signal").isEmpty(), "not to the connection the owner replaced");
        assertEquals(1, benAgain.ofType("signal").size());
        int before = ana.received.size();
        assertFalse(room.relaySignal("b", ben, signal("a")), "nor from it");
        assertEquals(before, ana.received.size());
        assertTrue(ben.ofType("error").isEmpty(), "a stale connection's messages are dropped, as the owner does");

        onOwner(() -> room.handle("a", ana, new ClientMessage.Leave(null), 1_000_000L));
        assertFalse(room.relaySignal("a", ana, signal("b")), "a member who left signals nobody");
        assertFalse(room.relaySignal("b", benAgain, signal("a")));
        assertEquals(1, benAgain.ofType("signal").size());
    }
}
