package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Members see a seq only once the journal has reserved it durably: events above the reservation are held in
 * order and go out when it grows; welcomes and replays stop before them. Real owner thread, recording
 * connections, a journal whose reservation the test moves.
 */
class RoomSeqReservationTest {
    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    final ReservingJournal journal = new ReservingJournal();
    final RoomLimits limits = new RoomLimits(8, Map.of(), 60_000, 64);
    final RoomRegistry registry = new RoomRegistry(() -> owner, RoomTest.BytesFrame::new, () -> 1_000_000L,
            new ServerMetrics(), journal, "test");
    final Room room = registry.create("R", limits);

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    /**
     * Reserves what the test says; keeps the events appended (and, for a resumed session, the ones "in the log":
     * read back with empty entries for seqs that no event has).
     */
    static class ReservingJournal implements SessionJournal {
        volatile long reserved;
        volatile DurabilityListener listener;
        final Map<Long, byte[]> stored = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public JournalSession open(SessionMeta meta, DurabilityListener l) {
            return session(l);
        }

        @Override
        public JournalSession resume(String roomId, String sessionId, DurabilityListener l) {
            return session(l);
        }

        private JournalSession session(DurabilityListener l) {
            listener = l;
            return new JournalSession() {
                @Override
                public void append(long seq, byte[] eventJson) {
                    stored.put(seq, eventJson);
                }

                @Override
                public void readBack(long fromSeq, long toSeqExclusive, java.util.function.Consumer<List<byte[]>> done,
                                     java.util.function.Consumer<Exception> failed) {
                    List<byte[]> out = new ArrayList<>();
                    for (long q = fromSeq; q < toSeqExclusive; q++) {
                        out.add(stored.getOrDefault(q, new byte[0]));
                    }
                    done.accept(out);
                }

                @Override
                public long reservedUpTo() {
                    return reserved;
                }

                @Override
                public void updateMeta(SessionMeta m) {
                }

                @Override
                public void close(SessionMeta finalMeta) {
                }
            };
        }

        void reserve(long upTo) {
            reserved = upTo;
            listener.seqsReserved(upTo);
        }
    }

    /**
     * A journal whose writer reports the first reservation durable while the room is still being constructed (a
     * fast disk and a preempted creating thread): the owner thread runs the news before the room has its journal.
     * It must not fail there (it threw a NullPointerException on the owner loop), and the room works afterwards.
     */
    @Test
    void aReservationReportedDuringConstructionIsHarmless() throws Exception {
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        ScheduledExecutorService fast = new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
            @Override
            protected void afterExecute(Runnable r, Throwable t) {
                if (t == null && r instanceof java.util.concurrent.Future<?> f && f.isDone()) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        t = e.getCause();
                    } catch (InterruptedException | java.util.concurrent.CancellationException e) {
                        // not a failure of the task
                    }
                }
                if (t != null) {
                    failures.add(t);
                }
            }
        };
        try {
            ReservingJournal early = new ReservingJournal() {
                @Override
                public JournalSession open(SessionMeta meta, DurabilityListener l) {
                    JournalSession session = super.open(meta, l);
                    reserved = 100;
                    l.seqsReserved(100);
                    try { // the owner thread handles the news now, inside the room's constructor
                        fast.submit(() -> { }).get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    return session;
                }
            };
            RoomRegistry rooms = new RoomRegistry(() -> fast, RoomTest.BytesFrame::new, () -> 1_000_000L,
                    new ServerMetrics(), early, "test");
            Room r = rooms.create("Early", limits);
            RoomTest.Recording mod = new RoomTest.Recording();
            assertNull(fast.submit(() -> r.join("m", "m", Role.MODERATOR, -1, mod)).get(
                    RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(List.of(), failures, "tasks on the owner thread failed");
        } finally {
            fast.shutdownNow();
        }
    }

    private ErrorCode join(String pid, Role role, long lastSeq, RoomTest.Recording conn) throws Exception {
        return owner.submit(() -> room.join(pid, pid, role, lastSeq, conn))
                .get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private void onOwner(Runnable r) throws Exception {
        owner.submit(r).get(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private static List<Long> seqs(RoomTest.Recording c) throws Exception {
        List<Long> out = new ArrayList<>();
        for (String m : c.received) {
            JsonNode j = ProtocolCodec.mapper().readTree(m);
            if (j.has("seq") && !j.path("type").asText().equals("welcome")) {
                out.add(j.path("seq").asLong());
            }
        }
        return out;
    }

    private static JsonNode welcome(RoomTest.Recording c) throws Exception {
        return ProtocolCodec.mapper().readTree(c.ofType("welcome").get(c.ofType("welcome").size() - 1));
    }

    private static List<Long> run(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    @Test
    void eventsAboveTheReservationAreHeldInOrderAndNeverShownEarly() throws Exception {
        journal.reserve(2);
        RoomTest.Recording mod = new RoomTest.Recording();
        RoomTest.Recording ana = new RoomTest.Recording();
        assertNull(join("m", Role.MODERATOR, -1, mod));
        assertNull(join("a", Role.PERFORMER, -1, ana)); // seqs 1, 2: reserved (a member's own join is in its welcome)
        onOwner(() -> room.handle("m", mod, new ClientMessage.PushPrompt("c1", "shown", null, null), 1));
        assertEquals(List.of(2L), seqs(mod));
        assertTrue(seqs(ana).isEmpty(), "seq 3 is not reserved yet: held");

        // a member joining meanwhile is told the last seq it may see, and a recorder's replay stops there
        RoomTest.Recording obs = new RoomTest.Recording();
        RoomTest.Recording rec = new RoomTest.Recording();
        join("o", Role.OBSERVER, -1, obs); // member_joined 4, held (so the observer gets its own join later)
        join("r", Role.RECORDER, -1, rec); // member_joined 5, held; replays from 1
        assertEquals(2, welcome(obs).path("seq").asLong());
        JsonNode prompt = welcome(obs).path("room").path("prompt");
        assertTrue(prompt.isMissingNode() || prompt.isNull(), "a held prompt is not in the welcome: " + prompt);
        assertEquals(List.of(1L, 2L), seqs(rec));

        journal.reserve(4);
        onOwner(() -> { });
        assertEquals(run(3, 4), seqs(ana));
        assertEquals(run(3, 4), seqs(obs), "live after a welcome at seq 2: gap-free");
        assertEquals(run(1, 4), seqs(rec));

        journal.reserve(2_000);
        onOwner(() -> room.handle("m", mod, new ClientMessage.PushPrompt("c2", "live", null, null), 1));
        assertEquals(run(3, 6), seqs(ana), "once reserved ahead, events go out as they are published");
        assertEquals(run(3, 6), seqs(obs));
        assertEquals(run(1, 6), seqs(rec), "every seq once, in order");
        assertEquals(run(2, 6), seqs(mod));
        assertEquals(6, ProtocolCodec.mapper().readTree(ana.ofType("prompt").get(1)).path("seq").asLong());
    }

    @Test
    void aResumeReplaysOnlyUpToTheReservation() throws Exception {
        journal.reserve(3);
        RoomTest.Recording mod = new RoomTest.Recording();
        join("m", Role.MODERATOR, -1, mod); // 1
        for (int i = 0; i < 4; i++) { // 2..5: 2 and 3 reserved
            int n = i;
            onOwner(() -> room.handle("m", mod, new ClientMessage.PushPrompt("c" + n, "p" + n, null, null), 1));
        }
        RoomTest.Recording again = new RoomTest.Recording();
        join("m", Role.MODERATOR, 1, again); // the same moderator resumes after seq 1
        assertEquals(3, welcome(again).path("seq").asLong());
        assertEquals(List.of(2L, 3L), seqs(again));
        journal.reserve(100);
        onOwner(() -> { });
        assertEquals(run(2, 6), seqs(again), "the held prompts 4 and 5, then its own presence (6), follow live");
    }

    @Test
    void afterACrashTheRoomGoesOnAboveTheReservationAndNamesTheSkippedSeqs() throws Exception {
        RecoveredRoom r = new RecoveredRoom("s-2", "R2", "Two", 1_000, limits);
        byte[] joined = ("{\"type\":\"member_joined\",\"seq\":1,\"ts\":1001,\"actor\":\"m\",\"member\":{\"id\":\"m\","
                + "\"name\":\"m\",\"role\":\"moderator\",\"connected\":true,\"muted\":false}}").getBytes();
        byte[] prompt = "{\"type\":\"prompt\",\"seq\":2,\"ts\":1002,\"actor\":\"m\",\"text\":\"x\",\"scene\":0}"
                .getBytes();
        r.event(1, joined, null, null);
        r.event(2, prompt, "m", "c1");
        r.reserved(10); // seqs 3..10 may have been seen before the crash, and were never written
        journal.stored.put(1L, joined);
        journal.stored.put(2L, prompt);
        journal.reserved = 10;
        Room restored = registry.restore(r, RoomListener.NONE);
        onOwner(() -> { });
        JsonNode marker = ProtocolCodec.mapper().readTree(journal.stored.get(11L));
        assertEquals("server_restarted", marker.path("type").asText());
        assertEquals(3, marker.path("skippedFrom").asLong());
        assertEquals(10, marker.path("skippedTo").asLong());
        journal.reserve(100);

        RoomTest.Recording inside = new RoomTest.Recording();
        onOwner(() -> restored.join("m", "m", Role.MODERATOR, 5, inside)); // saw seq 5, which nobody will again
        onOwner(() -> { }); // the read back's answer runs on the owner thread
        assertEquals(List.of(11L, 12L), seqs(inside), "from inside the skipped seqs straight to the marker");
        RoomTest.Recording whole = new RoomTest.Recording();
        onOwner(() -> restored.join("w", "w", Role.RECORDER, -1, whole));
        Awaitility.await().atMost(RoomTest.OWNER_TASK_BOUND_SECONDS, TimeUnit.SECONDS)
                .until(() -> seqs(whole).size() >= 5);
        assertEquals(List.of(1L, 2L, 11L, 12L, 13L), seqs(whole), "the skipped seqs are passed over");
    }
}
