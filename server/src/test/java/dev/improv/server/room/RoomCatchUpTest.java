package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomTest.BytesFrame;
import dev.improv.server.room.RoomTest.Recording;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Catching up as flow control: a member's replay goes out as its connection gives credit, live events wait behind
 * it in seq order, older events come from the journal in chunks, and only a connection that stops taking is cut.
 * Negative checks drain the owner thread instead of sleeping.
 */
class RoomCatchUpTest {
    static final int HISTORY_EVENTS = 64;
    static final long HISTORY_BYTES = 8_192;
    /** Long enough that a loaded machine (load 40 on 2 cores seen) does not make a taking reader look stalled. */
    static final long STALL_MS = 2_000;

    final ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    final StoringJournal journal = new StoringJournal();
    final Room room = new RoomRegistry(() -> owner, BytesFrame::new, () -> 1_000_000L, new ServerMetrics(), journal,
            "test").create("R", new RoomLimits(8, Map.of(), 60_000, HISTORY_EVENTS, HISTORY_BYTES, STALL_MS));

    @AfterEach
    void stop() {
        owner.shutdownNow();
    }

    /** Keeps every appended event and serves read-backs from them, like a session log. */
    static final class StoringJournal implements SessionJournal {
        final Map<Long, byte[]> events = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();
        final AtomicBoolean failReads = new AtomicBoolean();
        volatile long maxReadEvents;

        @Override
        public JournalSession open(SessionMeta meta, DurabilityListener listener) {
            return new JournalSession() {
                @Override
                public void append(long seq, byte[] eventJson) {
                    events.put(seq, eventJson);
                    listener.durableUpTo(seq);
                }

                @Override
                public void updateMeta(SessionMeta m) {
                }

                @Override
                public void close(SessionMeta finalMeta) {
                }

                @Override
                public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                                     Consumer<Exception> failed) {
                    reads.incrementAndGet();
                    maxReadEvents = Math.max(maxReadEvents, toSeqExclusive - fromSeq);
                    Thread reader = new Thread(() -> {
                        if (failReads.get()) {
                            failed.accept(new IOException("disk gone"));
                            return;
                        }
                        List<byte[]> out = new ArrayList<>();
                        for (long s = fromSeq; s < toSeqExclusive; s++) {
                            out.add(events.get(s));
                        }
                        done.accept(out);
                    }, "test-journal-reader");
                    reader.start();
                }
            };
        }
    }

    /**
     * A connection with a replay window the test drains by hand: {@link #take} puts queued replay bytes "on the
     * wire" and gives credit back once half the window is free, as the Netty connection does.
     */
    static final class PacedConnection extends Recording {
        final long window;
        long queued;
        final List<Integer> replayBatchSizes = new ArrayList<>();
        final AtomicReference<Runnable> waiter = new AtomicReference<>();

        PacedConnection(long window) {
            this.window = window;
        }

        @Override
        public synchronized long replayCredit() {
            return window - queued;
        }

        @Override
        public synchronized void sendReplay(List<SharedFrame> frames) {
            replayBatchSizes.add(frames.size());
            for (SharedFrame f : frames) {
                queued += ((BytesFrame) f).bytes().length;
                send(f);
            }
        }

        @Override
        public void onReplayCredit(Runnable task) {
            waiter.set(task);
            maybeCredit();
        }

        /** The client read everything queued so far. */
        void take() {
            synchronized (this) {
                queued = 0;
            }
            maybeCredit();
        }

        private void maybeCredit() {
            boolean credit;
            synchronized (this) {
                credit = queued <= window / 2;
            }
            Runnable w = credit ? waiter.getAndSet(null) : null;
            if (w != null) {
                w.run();
            }
        }
    }

    void drain() throws Exception {
        owner.submit(() -> { }).get(20, TimeUnit.SECONDS);
    }

    ErrorCode join(String pid, Role role, long lastSeq, MemberConnection conn) throws Exception {
        return owner.submit(() -> room.join(pid, pid, role, lastSeq, conn)).get(20, TimeUnit.SECONDS);
    }

    void prompt(Recording mod, int i) throws Exception {
        owner.submit(() -> room.handle("m", mod, new ClientMessage.PushPrompt(null, "prompt number " + i + " "
                + "x".repeat(200), null, null), 1_000_000L)).get(20, TimeUnit.SECONDS);
    }

    static List<Long> seqs(Recording c) {
        List<Long> out = new ArrayList<>();
        for (String s : c.received) {
            JsonNode n = parse(s);
            if (n.has("seq") && !n.path("type").asText().equals("welcome") && !n.path("type").asText().equals("ack")) {
                out.add(n.path("seq").asLong());
            }
        }
        return out;
    }

    static JsonNode parse(String json) {
        try {
            return ProtocolCodec.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void assertRun(List<Long> seqs, long from, long to) {
        List<Long> expected = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs, "every seq once, in order");
    }

    long lastSeq() throws Exception {
        return owner.submit(room::lastSeq).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aReplayLargerThanTheWindowGoesOutAsCreditComesBackWithLiveEventsQueuedBehindIt() throws Exception {
        Recording mod = new Recording();
        assertNull(join("m", Role.MODERATOR, -1, mod));
        for (int i = 0; i < 30; i++) {
            prompt(mod, i);
        }
        long before = lastSeq();
        PacedConnection reader = new PacedConnection(1_000); // about four prompts per window
        assertNull(join("r", Role.RECORDER, 0, reader));
        drain();
        assertTrue(seqs(reader).size() < before, "not everything at once: " + seqs(reader).size());
        for (int i = 30; i < 35; i++) {
            prompt(mod, i); // live while catching up: must wait behind the replay
        }
        for (int round = 0; round < 200 && reader.closedWith == null; round++) {
            reader.take();
            drain();
            drain(); // the credit callback hops through execute
            if (seqs(reader).size() >= lastSeq()) {
                break;
            }
        }
        assertNull(reader.closedWith, "a reader that keeps taking is never cut");
        assertRun(seqs(reader), 1, lastSeq());
        assertTrue(reader.replayBatchSizes.size() > 5, "paced in many batches: " + reader.replayBatchSizes);
        prompt(mod, 99);
        assertEquals(lastSeq(), seqs(reader).get(seqs(reader).size() - 1), "live again once caught up");
    }

    @Test
    void eventsOlderThanTheHistoryAreReadBackFromTheJournalInChunks() throws Exception {
        Recording mod = new Recording();
        join("m", Role.MODERATOR, -1, mod);
        for (int i = 0; i < 150; i++) {
            prompt(mod, i);
        }
        long firstInMemory = owner.submit(() -> room.history().firstAvailable()).get();
        assertTrue(firstInMemory > 100, "the byte bound dropped old events from memory: " + firstInMemory);
        PacedConnection reader = new PacedConnection(2_000);
        join("r", Role.RECORDER, 0, reader);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).pollInterval(5, TimeUnit.MILLISECONDS).until(() -> {
            reader.take();
            return seqs(reader).size() >= 151 + 1 || reader.closedWith != null; // 150 prompts, 2 joins
        });
        drain();
        assertNull(reader.closedWith, "cut while taking");
        assertRun(seqs(reader), 1, lastSeq());
        assertTrue(journal.reads.get() >= 1);
        assertTrue(reader.ofType("error").isEmpty(), reader.ofType("error").toString());
        assertNull(reader.closedWith);
    }

    @Test
    void aReaderThatStopsTakingIsCutAfterTheStallTimeoutAndOneThatTakesIsNot() throws Exception {
        Recording mod = new Recording();
        join("m", Role.MODERATOR, -1, mod);
        for (int i = 0; i < 40; i++) {
            prompt(mod, i);
        }
        PacedConnection stuck = new PacedConnection(1_000);
        join("r", Role.RECORDER, 0, stuck);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> stuck.closedWith != null);
        assertEquals(ErrorCode.SLOW_CONSUMER, stuck.closedWith);
        assertTrue(seqs(stuck).size() < 40);
        assertFalse(mod.closedWith != null, "the others are not affected");
    }

    @Test
    void aReadBackThatFailsIsToldAndTheMemberGoesOnFromMemory() throws Exception {
        Recording mod = new Recording();
        join("m", Role.MODERATOR, -1, mod);
        for (int i = 0; i < 150; i++) {
            prompt(mod, i);
        }
        journal.failReads.set(true);
        Recording reader = new Recording();
        join("o", Role.OBSERVER, 0, reader);
        long firstInMemory = owner.submit(() -> room.history().firstAvailable()).get();
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> !reader.ofType("error").isEmpty());
        drain();
        assertTrue(reader.ofType("error").get(0).contains("REPLAY_UNAVAILABLE"));
        List<Long> got = seqs(reader);
        assertEquals(firstInMemory, got.get(0));
        assertRun(got, firstInMemory, lastSeq());
    }

    @Test
    void aRejoinDuringCatchUpStartsAFreshOneAndTheOldConnectionGetsNothingMore() throws Exception {
        Recording mod = new Recording();
        join("m", Role.MODERATOR, -1, mod);
        for (int i = 0; i < 30; i++) {
            prompt(mod, i);
        }
        PacedConnection first = new PacedConnection(1_000);
        join("r", Role.RECORDER, 0, first);
        // the first catch-up reads from the log on another thread, sends what its window takes and waits for credit:
        // only then is what it got final (sampling earlier raced with that read)
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> first.waiter.get() != null);
        drain();
        int before = first.received.size();
        Recording second = new Recording();
        join("r", Role.RECORDER, 0, second);
        first.take();
        drain();
        drain();
        long last = lastSeq();
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> seqs(second).size() >= last);
        drain();
        assertEquals(before, first.received.size(), "the replaced connection's catch-up stopped");
        assertRun(seqs(second), 1, last);
    }
}
