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

@Tag("integration")
class SessionLogWriterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    private final ServerMetrics metrics = new ServerMetrics();
    private FaultyStorage storage;
    private SessionLogWriter writer;

    private SessionLogWriter start(SessionLogWriter.Settings settings) {
        storage = new FaultyStorage(dataDir);
        writer = new SessionLogWriter(storage, settings.withRetry(5, 40), metrics);
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
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
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
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("batch"), listener);
        CountDownLatch gate = new CountDownLatch(1);
        storage.forceGate = gate;
        session.append(1, Events.prompt(1));
        await().atMost(WAIT).until(() -> storage.forcesEntered.get() == 1);
        for (long seq = 2; seq <= 100; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        // event 1 is written but its force has not returned: nothing may be acknowledged yet
        assertEquals(List.of(), listener.durable);
        gate.countDown();
        await().atMost(WAIT).until(() -> listener.lastDurable() == 100);
        assertEquals(List.of(1L, 100L), listener.durable);
        assertEquals(2, storage.forces.get(), "one force for the first batch, one for the 99 queued behind it");
        assertSeqs(read("batch"), 1, 100);
    }

    @Test
    void offPolicyNeverForces() throws Exception {
        start(SessionLogWriter.Settings.of(FsyncPolicy.OFF, 100));
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
        start(SessionLogWriter.Settings.of(FsyncPolicy.INTERVAL, 600_000));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("interval"), listener);
        for (long seq = 1; seq <= 50; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        await().atMost(WAIT).until(() -> listener.lastDurable() == 50);
        assertEquals(0, storage.forces.get(), "the interval has not passed: acknowledged without a force");
        session.close(Events.ended("interval"));
        await().atMost(WAIT).until(() -> storage.forces.get() == 1);
        writer.close();
        assertEquals(1, storage.forces.get());
        assertSeqs(read("interval"), 1, 50);
    }

    @Test
    void diskFailureKeepsEventsAcknowledgesNothingAndRecoversInOrder() throws Exception {
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
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
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
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
    void tornTailOfAnExistingFileIsCutBeforeAppending() throws Exception {
        Path file = new SessionFiles(dataDir).events("again");
        Files.createDirectories(file.getParent());
        String complete = new String(Events.prompt(1), StandardCharsets.UTF_8) + "\n"
                + new String(Events.prompt(2), StandardCharsets.UTF_8) + "\n";
        String torn = new String(Events.prompt(3), StandardCharsets.UTF_8).substring(0, 20);
        Files.writeString(file, complete + torn);
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("again"), listener);
        session.append(3, Events.prompt(3));
        session.append(4, Events.prompt(4));
        session.close(Events.ended("again"));
        await().atMost(WAIT).until(() -> listener.lastDurable() == 4);
        writer.close();
        assertSeqs(read("again"), 1, 4);
    }

    @Test
    void closingTheWriterFlushesEverythingQueued() throws Exception {
        start(SessionLogWriter.Settings.of(FsyncPolicy.BATCH, 100));
        RecordingListener listener = new RecordingListener();
        SessionJournal.JournalSession session = writer.open(Events.meta("flush"), listener);
        for (long seq = 1; seq <= 5_000; seq++) {
            session.append(seq, Events.prompt(seq));
        }
        writer.close();
        assertEquals(5_000, listener.lastDurable());
        assertSeqs(read("flush"), 1, 5_000);
        assertTrue(Files.exists(new SessionFiles(dataDir).meta("flush")));
    }
}
