package dev.improv.server.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SharedFrame;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The local router over a real registry on one owner thread: joins, sinks, and who counts as a member. */
class LocalRouterTest {
    private final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    private final RoomRegistry rooms = new RoomRegistry(() -> owner, bytes -> () -> { }, () -> 1_000_000L,
            new ServerMetrics(), SessionJournal.none(), "test");
    private final Router router = new LocalRouter(rooms, null);
    private final String roomId = rooms.create("R", new RoomLimits(8, Map.of(Role.PERFORMER, 4), 60_000, 16)).id();

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    /** Drains the owner thread, so that everything handed to it before has run. */
    private void drain() throws Exception {
        owner.submit(() -> { }).get(30, TimeUnit.SECONDS);
    }

    private static final class Closed implements MemberConnection {
        volatile ErrorCode closedWith;

        @Override
        public void send(SharedFrame frame) {
        }

        @Override
        public void send(ServerMessage message) {
        }

        @Override
        public void close(ErrorCode code, String reason) {
            closedWith = code;
        }

        @Override
        public String remoteAddress() {
            return "test";
        }
    }

    private Joined<ClientMessage> join(String pid, Role role, MemberConnection conn) throws Exception {
        return router.joinRoom(new RoomJoin(roomId, pid, pid, role, -1), conn).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aJoinedParticipantIsAMemberUntilKicked() throws Exception {
        Joined<ClientMessage> mod = join("m-1", Role.MODERATOR, new Closed());
        Closed anaConn = new Closed();
        assertNotNull(join("p-ana", Role.PERFORMER, anaConn).sink());
        assertFalse(router.isMember(roomId, "p-ben").get(), "never joined");
        assertTrue(router.isMember(roomId, "p-ana").get());

        mod.sink().deliver(new ClientMessage.Kick("c1", "p-ana", null), 1_000_000L);
        drain();
        assertEquals(ErrorCode.KICKED, anaConn.closedWith);
        assertFalse(router.isMember(roomId, "p-ana").get(), "kicked");
        assertEquals(ErrorCode.KICKED, join("p-ana", Role.PERFORMER, new Closed()).refusal());
        assertTrue(router.isMember(roomId, "m-1").get());
    }

    @Test
    void aDroppedConnectionStaysAMemberForTheResumeWindow() throws Exception {
        Joined<ClientMessage> ana = join("p-ana", Role.PERFORMER, new Closed());
        ana.sink().connectionLost();
        drain();
        assertTrue(router.isMember(roomId, "p-ana").get());
        assertFalse(router.room(roomId).get().orElseThrow().roster().get(0).connected());
    }

    @Test
    void nobodyIsAMemberOfAClosedOrUnknownRoom() throws Exception {
        join("p-ana", Role.PERFORMER, new Closed());
        assertTrue(router.closeRoom(roomId, "done").get());
        drain();
        assertFalse(router.isMember(roomId, "p-ana").get());
        assertFalse(router.isMember("nope", "p-ana").get());
        assertTrue(router.room(roomId).get().isEmpty());
        assertEquals(ErrorCode.ROOM_NOT_FOUND, join("p-ana", Role.PERFORMER, new Closed()).refusal());
        assertNull(join("p-ana", Role.PERFORMER, new Closed()).sink());
    }
}
