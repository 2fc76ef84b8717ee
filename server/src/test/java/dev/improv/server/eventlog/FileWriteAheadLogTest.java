package dev.improv.server.eventlog;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write-ahead log writer with real files and a storage that fails on demand. */
@Tag("integration")
class FileWriteAheadLogTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private final ServerMetrics metrics = new ServerMetrics();
    private FaultyStorage storage;
    private FileWriteAheadLog writer;

    private FileWriteAheadLog start(FileWriteAheadLog.Settings settings) throws IOException {
        storage = new FaultyStorage(dataDir);
        writer = new FileWriteAheadLog(storage.segments, storage, new SessionFiles(dataDir), settings.withRetry(5, 40),
                metrics);
        return writer;
    }

    @AfterEach
    void stop() {
        if (writer != null) {
            writer.close();
        }
    }

    private SessionLogReader.ReadResult read(String sessionId) throws IOException {
        return new SessionLogReader(new SessionFiles(dataDir)).read(sessionId);
    }

    private static void assertSeqs(SessionLogReader.ReadResult result, long from, long to) {
        assertFalse(result.tornTail(), "torn tail");
        assertEquals(List.of(), result.problems());
        List<Long> seqs = result.events().stream().map(SessionLogReader.LogEvent::seq).toList();
        List<Long> expected = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs);
    }

    private static void assertMonotonic(List<Long> durable) {
        for (int i = 1; i < durable.size(); i++) {
            assertTrue(durable.get(i) > durable.get(i - 1), "durableUpTo went from " + durable.get(i - 1) + " to "
                    + durable.get(i));
        }
    }

    @Test
    void twoProducerThreadsGetEveryEventExactlyOnceInOrder() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        int sessionsPerThread = 2;
        int events = 3_000;
        List<String> ids = new ArrayList<>();
        List<RecordingListener> listeners = new ArrayList<>();
        List<Thread> producers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 2; t++) {
            List<SessionJournal.JournalSession> mine = new ArrayList<>();
            for (int i = 0; i < sessionsPerThread; i++) {
                String id = "s-" + t + "-" + i;
                RecordingListener listener = new RecordingListener();
                ids.add(id);
                listeners.add(listener);
                mine.add(writer.open(Events.meta(id), listener));
            }
            Thread producer = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (long seq = 1; seq <= events; seq++) {
                    for (SessionJournal.JournalSession session : mine) {
                        session.append(seq, Events.prompt(seq));
                    }
                }
                for (int i = 0; i < mine.size(); i++) {
                    mine.get(i).close(Events.ended("s-" + Thread.currentThread().getName() + "-" + i));
                }
            }, String.valueOf(t));
            producers.add(producer);
            producer.start();
        }
        go.countDown();
        for (Thread producer : producers) {
            producer.join();
        }
        for (RecordingListener listener : listeners) {
            await().atMost(WAIT).until(() -> listener.lastDurable() == events);
            assertMonotonic(listener.durable);
            assertEquals(0, listener.failed.get());
        }
        writer.close();
        for (String id : ids) {
            assertSeqs(read(id), 1, events);
            SessionMeta meta = ProtocolCodec.mapper().readValue(
                    new SessionFiles(dataDir).meta(id).toFile(), SessionMeta.class);
            assertEquals(id, meta.sessionId());
            assertNotNull(meta.endedAt());
        }
        assertTrue(storage.forces.get() < ids.size() * events, "group commit: fewer forces than events");
    }

    @Test
    void batchPolicyForcesOncePerBatchAndAcksOnlyAfterTheForce() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("batch"), listener);
        session.append(1, Events.prompt(1));
        await().atMost(WAIT).until(() -> listener.lastDurable() == 1);
        int before = storage.forces.get();
        CountDownLatch gate = new CountDownLatch(1);
        storage.forceGate = gate;
        session.append(2, Events.prompt(2));
        await().atMost(WAIT).until(() -> storage.forcesEntered.get() == before + 1);
        for (long seq = 3; seq <= 100; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        // event 2 is written but its force has not returned: nothing more may be acknowledged yet
        assertEquals(List.of(1L), listener.durable);
        gate.countDown();
        await().atMost(WAIT).until(() -> listener.lastDurable() == 100);
        assertEquals(List.of(1L, 2L, 100L), listener.durable);
        assertEquals(before + 2, storage.forces.get(), "one force for event 2, one for the 98 queued behind it");
        session.close(Events.ended("batch"));
        writer.close();
        assertSeqs(read("batch"), 1, 100);
    }

    @Test
    void aLingerJoinsWhatComesSoonAfterAForceIntoTheNextBatchAndAcksOnlyAfterIt() throws Exception {
        long lingerMs = 40;
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100).withLingerMicros(lingerMs * 1000));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("linger"), listener);
        session.append(1, Events.prompt(1));
        await().atMost(WAIT).until(() -> listener.lastDurable() == 1);
        int before = storage.forces.get();
        long started = System.nanoTime();
        for (long seq = 2; seq <= 101; seq++) { // 100 events about 0.4 ms apart: each would have its own force
            session.append(seq, Events.prompt(seq));
            java.util.concurrent.locks.LockSupport.parkNanos(400_000);
        }
        long appendingMs = (System.nanoTime() - started) / 1_000_000;
        await().atMost(WAIT).until(() -> listener.lastDurable() == 101);
        int forces = storage.forces.get() - before;
        // A force at most once per linger after the previous one ended, whatever this thread's pace on a busy box.
        assertTrue(forces <= 2 + appendingMs / lingerMs, forces + " forces for 100 events appended over "
                + appendingMs + " ms with a " + lingerMs + " ms linger");
        session.close(Events.ended("linger"));
        writer.close();
        assertSeqs(read("linger"), 1, 101);
    }

    @Test
    void offPolicyNeverForces() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("off"), listener);
        for (long seq = 1; seq <= 200; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        session.close(Events.ended("off"));
        await().atMost(WAIT).until(() -> listener.lastDurable() == 200);
        writer.close();
        assertEquals(0, storage.forces.get());
        assertSeqs(read("off"), 1, 200);
    }

    @Test
    void intervalPolicyAcksOnceWrittenAndForcesAtClose() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.INTERVAL, 600_000));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("interval"), listener);
        for (long seq = 1; seq <= 50; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 50);
        assertEquals(0, storage.forces.get(), "the interval has not passed: acknowledged without a force");
        session.close(Events.ended("interval"));
        await().atMost(WAIT).until(() -> storage.forces.get() >= 1);
        writer.close();
        assertSeqs(read("interval"), 1, 50);
    }

    @Test
    void diskFailureKeepsEventsAcknowledgesNothingAndRecoversInOrder() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("disk"), listener);
        for (long seq = 1; seq <= 10; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 10);

        storage.failing.set(true);
        for (long seq = 11; seq <= 30; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.failed.get() == 1);
        int seen = storage.failures.get();
        await().atMost(WAIT).until(() -> storage.failures.get() >= seen + 3); // several retries, all failing
        assertEquals(10, listener.lastDurable(), "nothing acknowledged while the disk fails");
        assertEquals(1, listener.failed.get(), "one writeFailed per failure streak");
        assertTrue(metrics.registry().counter("improv_log_write_failures").count() >= 4);

        storage.failing.set(false);
        for (long seq = 31; seq <= 40; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 40);
        assertEquals(1, listener.recovered.get());
        int failedAt = listener.calls.indexOf("failed");
        int recoveredAt = listener.calls.indexOf("recovered");
        assertTrue(failedAt < recoveredAt);
        assertEquals("durable:10", listener.calls.get(failedAt - 1));
        assertTrue(listener.calls.get(recoveredAt + 1).startsWith("durable:"), "recovered, then durable");
        assertMonotonic(listener.durable);
        session.close(Events.ended("disk"));
        writer.close();
        assertSeqs(read("disk"), 1, 40);
    }

    @Test
    void failedForceIsWrittenAgainWithoutDuplicates() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("fsync"), listener);
        session.append(1, Events.prompt(1));
        await().atMost(WAIT).until(() -> listener.lastDurable() == 1);
        storage.failingForce.set(true);
        session.append(2, Events.prompt(2));
        session.append(3, Events.prompt(3));
        await().atMost(WAIT).until(() -> listener.failed.get() == 1 && storage.failures.get() >= 3);
        assertEquals(1, listener.lastDurable(), "written but not forced is not durable");
        storage.failingForce.set(false);
        await().atMost(WAIT).until(() -> listener.lastDurable() == 3);
        session.close(Events.ended("fsync"));
        writer.close();
        assertSeqs(read("fsync"), 1, 3);
    }

    @Test
    void closingTheWriterFlushesEverythingQueued() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("flush"), listener);
        for (long seq = 1; seq <= 5_000; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        writer.close();
        assertEquals(5_000, listener.lastDurable());
        // not closed: the session is still only in the log, and comes back from it
        writer = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100), metrics);
        WriteAheadLog.Recovered recovered = writer.takeRecovered();
        assertEquals(1, recovered.rooms().size());
        assertEquals(5_000, recovered.rooms().get(0).lastSeq());
        List<Long> seqs = new ArrayList<>();
        writer.live("flush").orElseThrow().events(1, 5_000, (seq, bytes) -> seqs.add(seq));
        assertEquals(5_000, seqs.size());
        assertEquals(5_000L, seqs.get(seqs.size() - 1));
    }

    @Test
    void aDeletedSegmentStopsAcksAndIsWrittenAgainFromTheOpenDescriptor() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("deleted"), listener);
        for (long seq = 1; seq <= 10; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 10);
        Path segment = storage.segments.path(storage.segment());
        Files.delete(segment);
        for (long seq = 11; seq <= 20; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 20);
        int failedAt = listener.calls.indexOf("failed");
        assertTrue(failedAt >= 0, "the deletion is noticed: " + listener.calls);
        assertEquals("durable:10", listener.calls.get(failedAt - 1), "nothing acknowledged into the deleted file");
        assertEquals(1, listener.recovered.get());
        assertTrue(Files.exists(segment), "the segment is back at its path");
        writer.close();
        writer = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100), metrics);
        List<Long> seqs = new ArrayList<>();
        writer.live("deleted").orElseThrow().events(1, 20, (seq, bytes) -> seqs.add(seq));
        assertEquals(20, seqs.size(), "every acknowledged event survived the deletion: " + seqs);
    }

    @Test
    void segmentsRollBySizeAndExportedOnesAreDeleted() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100).withSegmentBytes(4096));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("roll"), listener);
        for (long seq = 1; seq <= 400; seq++) {
            session.append(seq, Events.prompt(seq));
            if (seq % 50 == 0) {
                long upTo = seq;
                await().atMost(WAIT).until(() -> listener.lastDurable() == upTo); // one batch at a time
            }
        }
        assertTrue(storage.segments.list().size() > 2, "rolled: " + storage.segments.list());
        session.close(Events.ended("roll"));
        await().atMost(WAIT).until(() -> Files.exists(new SessionFiles(dataDir).events("roll")));
        // the next roll deletes every earlier segment: all their sessions are exported
        RecordingListener other = new RecordingListener();
        SessionJournal.JournalSession next = writer.open(Events.meta("next"), other);
        for (long seq = 1; seq <= 100; seq++) {
            next.append(seq, Events.prompt(seq));
            long upTo = seq;
            await().atMost(WAIT).until(() -> other.lastDurable() == upTo);
        }
        await().atMost(WAIT).until(() -> storage.segments.list().get(0) > 1);
        writer.close();
        assertSeqs(read("roll"), 1, 400);
    }

    @Test
    void seqsAreReservedAheadAndACrashSkipsOnlyReservedOnes() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("reserve"), listener);
        await().atMost(WAIT).until(() -> listener.lastReserved() == FileWriteAheadLog.RESERVE_BLOCK);
        for (long seq = 1; seq <= 600; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 600);
        long reserved = 513 + FileWriteAheadLog.RESERVE_BLOCK; // asked for with seq 513: 512 left
        assertEquals(reserved, session.reservedUpTo());
        long reservedSoFar = 0;
        for (String call : listener.calls) {
            if (call.startsWith("reserved:")) {
                reservedSoFar = Long.parseLong(call.substring("reserved:".length()));
            } else if (call.startsWith("durable:")) {
                long durable = Long.parseLong(call.substring("durable:".length()));
                assertTrue(durable <= reservedSoFar, "event " + durable + " durable before its seq was reserved: "
                        + listener.calls);
            }
        }

        // a crash leaves the files as they are: open a copy of them
        Path crashed = dataDir.resolve("crashed");
        Files.createDirectories(crashed.resolve("wal"));
        for (int segment : storage.segments.list()) {
            Files.copy(storage.segments.path(segment), crashed.resolve("wal")
                    .resolve(storage.segments.path(segment).getFileName()));
        }
        try (FileWriteAheadLog after = FileWriteAheadLog.open(crashed, FileWriteAheadLog.Settings.of(
                FsyncPolicy.BATCH, 100), metrics)) {
            dev.improv.server.room.RecoveredRoom room = after.takeRecovered().rooms().get(0);
            assertEquals(600, room.lastSeq());
            assertEquals(reserved, room.reservedSeq(), "the restarted room goes on above the reservation");
            RecordingListener resumed = new RecordingListener();
            SessionJournal.JournalSession again = after.resume("room1", "reserve", resumed);
            long marker = reserved + 1;
            again.append(marker, ("{\"type\":\"server_restarted\",\"seq\":" + marker + ",\"ts\":1,\"actor\":"
                    + "\"server\",\"lastEventTs\":1,\"skippedFrom\":601,\"skippedTo\":" + reserved + "}")
                    .getBytes(StandardCharsets.UTF_8));
            await().atMost(WAIT).until(() -> resumed.lastDurable() == marker);
            assertTrue(again.reservedUpTo() > marker);
            java.util.concurrent.CompletableFuture<List<byte[]>> back = new java.util.concurrent.CompletableFuture<>();
            again.readBack(599, marker + 1, back::complete, back::completeExceptionally);
            List<byte[]> replay = back.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(marker + 1 - 599, replay.size(), "one entry per seq");
            assertTrue(replay.get(0).length > 0 && replay.get(1).length > 0);
            for (int i = 2; i < replay.size() - 1; i++) {
                assertEquals(0, replay.get(i).length, "seq " + (599 + i) + " was skipped: no event");
            }
            assertTrue(new String(replay.get(replay.size() - 1), StandardCharsets.UTF_8).contains("server_restarted"));
            List<Long> stored = new ArrayList<>();
            after.live("reserve").orElseThrow().events(1, marker, (seq, bytes) -> stored.add(seq));
            assertEquals(601, stored.size(), "the skipped seqs are not events");
            assertEquals(marker, (long) stored.get(600));
        }
        // a clean stop gave the unused reservation back, and the declared skip is no damage
        try (FileWriteAheadLog third = FileWriteAheadLog.open(crashed, FileWriteAheadLog.Settings.of(
                FsyncPolicy.BATCH, 100), metrics)) {
            dev.improv.server.room.RecoveredRoom room = third.takeRecovered().rooms().get(0);
            assertEquals(reserved + 1, room.lastSeq());
            assertEquals(reserved + 1, room.reservedSeq(), "nothing to skip after a clean stop");
            assertEquals(null, room.damage());
        }
    }

    @Test
    void anEarlierSegmentDeletedWhileRunningIsNoticedReportedAndWrittenAgain() throws Exception {
        start(FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100).withSegmentBytes(4096));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("older"), listener);
        for (long seq = 1; seq <= 200; seq++) {
            session.append(seq, Events.prompt(seq));
            if (seq % 20 == 0) {
                long upTo = seq;
                await().atMost(WAIT).until(() -> listener.lastDurable() == upTo); // one batch at a time: rolls
            }
        }
        List<Integer> all = storage.segments.list();
        assertTrue(all.size() > 2, "rolled: " + all);
        Path first = storage.segments.path(all.get(0));
        byte[] before = Files.readAllBytes(first);
        Files.delete(first);
        await().atMost(WAIT).until(() -> listener.recovered.get() == 1);
        assertEquals(1, listener.failed.get(), "the open session's moderators are told: " + listener.calls);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(first)), "written again, byte for byte");
        assertEquals(1.0, metrics.registry().get("improv_log_segments_lost").counter().count());
        writer.close();
        writer = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 100), metrics);
        List<Long> seqs = new ArrayList<>();
        writer.live("older").orElseThrow().events(1, 200, (seq, bytes) -> seqs.add(seq));
        assertEquals(200, seqs.size(), "nothing lost: " + seqs);
    }
}
