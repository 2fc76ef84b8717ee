package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The room alone, on a real single-thread owner, with recording connections and a journal the test drives. */
class RoomTest {
    /**
     * Only a guard against a hung owner, not a speed check: the first task of a JVM loads the codec's classes,
     * which took more than 5 s on the shared 2-core box under load 29.
     */
    static final long OWNER_TASK_BOUND_SECONDS = 30;
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    final HeldJournal journal = new HeldJournal();
    final Room room = new RoomRegistry(() -> owner, bytes -> new BytesFrame(bytes), () -> 1_000_000L,
            new ServerMetrics(), journal, "test").create("R",
            new RoomLimits(4, Map.of(Role.PERFORMER, 2), 60_000, 16));

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    record BytesFrame(byte[] bytes) implements SharedFrame {
        @Override
        public void release() {
        }
    }

    /** Records what a member would have received, as JSON strings. */
    static class Recording implements MemberConnection {
        final List<String> received = new CopyOnWriteArrayList<>();
        volatile ErrorCode closedWith;

        @Override
        public void send(SharedFrame frame) {
            received.add(new String(((BytesFrame) frame).bytes(), StandardCharsets.UTF_8));
        }

        @Override
        public void send(ServerMessage message) {
            received.add(new String(ProtocolCodec.encode(message), StandardCharsets.UTF_8));
        }

        @Override
        public void close(ErrorCode code, String reason) {
            closedWith = code;
        }

        @Override
        public String remoteAddress() {
            return "test";
        }

        List<String> ofType(String type) {
            return received.stream().filter(s -> s.startsWith("{\"type\":\"" + type + "\"")).toList();
        }
    }

    /** A journal that makes events durable only when the test says so. */
    static final class HeldJournal implements SessionJournal {
        final List<Long> appended = new CopyOnWriteArrayList<>();
        volatile DurabilityListener listener;

        @Override
        public JournalSession open(SessionMeta meta, DurabilityListener l) {
            listener = l;
            return new JournalSession() {
                @Override
                public void append(long seq, byte[] eventJson) {
                    appended.add(seq);
                }

                @Override
                public void updateMeta(SessionMeta m) {
                }

                @Override
                public void close(SessionMeta finalMeta) {
                }
            };
        }
    }

    ErrorCode joinOnOwner(String pid, Role role, Recording conn) throws Exception {
        return owner.submit(() -> room.join(pid, pid, role, -1, conn)).get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    void handleOnOwner(String pid, Recording conn, ClientMessage m) throws Exception {
        owner.submit(() -> room.handle(pid, conn, m, 1_000_000L)).get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    /** Runs an empty task on the owner thread: everything queued before it has run when this returns. */
    void drainOwner() throws Exception {
        owner.submit(() -> { }).get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void theSenderIsAcknowledgedOnlyOnceItsEventIsDurable() throws Exception {
        Recording mod = new Recording();
        Recording ana = new Recording();
        assertNull(joinOnOwner("m", Role.MODERATOR, mod));
        assertNull(joinOnOwner("a", Role.PERFORMER, ana));
        handleOnOwner("m", mod, new ClientMessage.PushPrompt("c1", "hold it", null, null));
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> ana.ofType("prompt").size() == 1);
        long promptSeq = journal.appended.get(journal.appended.size() - 1);
        drainOwner();
        assertTrue(mod.ofType("ack").isEmpty(), "no ack before the journal says durable");
        journal.listener.durableUpTo(promptSeq - 1);
        drainOwner(); // the durability news runs on the owner thread; once it has run, any ack has been sent
        assertTrue(mod.ofType("ack").isEmpty(), "durable up to an earlier seq does not cover the prompt");
        journal.listener.durableUpTo(promptSeq);
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 1);
        assertTrue(mod.ofType("ack").get(0).contains("\"eventSeq\":" + promptSeq));
    }

    @Test
    void anOperatorsCloseIsAnsweredOnlyOnceRoomClosedIsDurable() throws Exception {
        HeldJournal held = new HeldJournal();
        RoomRegistry registry = new RoomRegistry(() -> owner, bytes -> new BytesFrame(bytes), () -> 1_000_000L,
                new ServerMetrics(), held, "test");
        Room closing = registry.create("C", new RoomLimits(4, Map.of(Role.PERFORMER, 2), 60_000, 16));
        Recording mod = new Recording();
        assertNull(owner.submit(() -> closing.join("m", "m", Role.MODERATOR, -1, mod))
                .get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS));
        owner.submit(() -> closing.handle("m", mod, new ClientMessage.StartScene("s1", "one"), 1_000_000L))
                .get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
        java.util.concurrent.CompletableFuture<Boolean> answer = registry.close(closing.id(), "done");
        drainOwner();
        long closedSeq = held.appended.get(held.appended.size() - 1);
        assertTrue(mod.ofType("room_closed").size() == 1, mod.received.toString());
        held.listener.durableUpTo(closedSeq - 1); // the scene's end, not the close
        drainOwner();
        assertFalse(answer.isDone(), "answered before room_closed was durable");
        held.listener.durableUpTo(closedSeq);
        assertTrue(answer.get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS));
        assertFalse(registry.close(closing.id(), "again").get(OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void everyEventIsJournaledInSeqOrderAndDeliveredToEveryMember() throws Exception {
        Recording mod = new Recording();
        Recording ana = new Recording();
        joinOnOwner("m", Role.MODERATOR, mod);
        joinOnOwner("a", Role.PERFORMER, ana);
        for (int i = 0; i < 10; i++) {
            handleOnOwner("m", mod, new ClientMessage.PushPrompt(null, "p" + i, null, null));
        }
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= journal.appended.size(); s++) {
            expected.add(s);
        }
        assertEquals(expected, journal.appended);
        assertEquals(10, ana.ofType("prompt").size());
        assertEquals(10, mod.ofType("prompt").size());
    }

    @Test
    void writeTroubleIsToldToModeratorsOnceAndTheRoomKeepsRunning() throws Exception {
        Recording mod = new Recording();
        Recording ana = new Recording();
        joinOnOwner("m", Role.MODERATOR, mod);
        joinOnOwner("a", Role.PERFORMER, ana);
        journal.listener.writeFailed(new java.io.IOException("No space left on device"));
        journal.listener.writeFailed(new java.io.IOException("No space left on device"));
        handleOnOwner("m", mod, new ClientMessage.PushPrompt("c", "still live", null, null));
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> ana.ofType("prompt").size() == 1);
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> mod.ofType("notice").size() == 1);
        assertTrue(mod.ofType("notice").get(0).contains("No space left on device"));
        assertTrue(ana.ofType("notice").isEmpty(), "performers are not bothered");
        assertTrue(mod.ofType("ack").isEmpty());
        journal.listener.writeRecovered();
        journal.listener.durableUpTo(journal.appended.get(journal.appended.size() - 1));
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 1);
        Awaitility.await().atMost(2, TimeUnit.SECONDS).until(() -> mod.ofType("notice").size() == 2);
    }

    @Test
    void aModeratorWhoJoinsDuringALogOutageGetsTheNoticeOnJoining() throws Exception {
        journal.listener.writeFailed(new java.io.IOException("No space left on device"));
        owner.submit(() -> { }).get(5, TimeUnit.SECONDS); // the news reached the owner thread
        Recording late = new Recording();
        Recording ana = new Recording();
        joinOnOwner("m", Role.MODERATOR, late);
        joinOnOwner("a", Role.PERFORMER, ana);
        assertEquals(1, late.ofType("notice").size(), late.received.toString());
        assertTrue(late.ofType("notice").get(0).contains("LOG_UNAVAILABLE"));
        assertTrue(late.ofType("notice").get(0).contains("No space left on device"));
        assertTrue(late.received.get(0).startsWith("{\"type\":\"welcome\""), "the welcome comes first");
        assertTrue(ana.ofType("notice").isEmpty(), "performers are not bothered");
        journal.listener.writeRecovered();
        owner.submit(() -> { }).get(5, TimeUnit.SECONDS);
        Recording later = new Recording();
        joinOnOwner("m2", Role.MODERATOR, later);
        assertTrue(later.ofType("notice").isEmpty(), "after recovery nobody new is told of an old outage");
    }

    @Test
    void aSecondConnectionOfTheSameParticipantReplacesTheFirst() throws Exception {
        Recording first = new Recording();
        Recording second = new Recording();
        joinOnOwner("a", Role.PERFORMER, first);
        assertNull(joinOnOwner("a", Role.PERFORMER, second));
        assertEquals(ErrorCode.REPLACED, first.closedWith);
        assertTrue(second.ofType("welcome").get(0).contains("\"resumed\":true"));
    }

    @Test
    void aPerformersMediaStateReachesTheModeratorsOnlyAndIsNotAnEvent() throws Exception {
        Recording mod = new Recording();
        Recording ana = new Recording();
        Recording ben = new Recording();
        joinOnOwner("m", Role.MODERATOR, mod);
        joinOnOwner("a", Role.PERFORMER, ana);
        joinOnOwner("b", Role.PERFORMER, ben);
        int appended = journal.appended.size();
        handleOnOwner("a", ana, new ClientMessage.MediaState("s1", "b",
                dev.improv.server.protocol.MediaLinkState.CONNECTED, true, false));
        assertEquals(List.of("{\"type\":\"media_state\",\"from\":\"a\",\"peer\":\"b\",\"state\":\"connected\","
                + "\"video\":true,\"audio\":false}"), mod.ofType("media_state"));
        assertTrue(ben.ofType("media_state").isEmpty() && ana.ofType("media_state").isEmpty(), "moderators only");
        assertEquals(appended, journal.appended.size(), "nothing logged");
        assertEquals(1, ana.ofType("ack").size(), "acknowledged at once: " + ana.received);
        // refusals name the field: an unknown peer, and a moderator who reports
        handleOnOwner("a", ana, new ClientMessage.MediaState("s2", "nobody",
                dev.improv.server.protocol.MediaLinkState.FAILED, false, false));
        assertTrue(ana.ofType("error").get(0).contains("\"field\":\"peer\"") && ana.ofType("error").get(0)
                .contains("\"cid\":\"s2\""), ana.ofType("error").toString());
        handleOnOwner("m", mod, new ClientMessage.MediaState("s3", "a",
                dev.improv.server.protocol.MediaLinkState.CONNECTED, true, true));
        assertTrue(mod.ofType("error").get(0).contains("NOT_AUTHORIZED"), mod.ofType("error").toString());
        assertEquals(1, mod.ofType("media_state").size());
    }
}
