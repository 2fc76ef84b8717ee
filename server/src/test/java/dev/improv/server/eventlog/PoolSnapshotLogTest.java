package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pool snapshots in the log: a start folds each pool from its last readable snapshot; an unreadable one is
 * reported and the pool is folded from the snapshot before it and every fact since; a pool whose facts lost their
 * start is reported as not rebuilt; and retention deletes a segment once every pool record in it comes before the
 * pool's second-to-last durable snapshot.
 */
@Tag("integration")
class PoolSnapshotLogTest {
    private static final String POOL = "pool";

    @TempDir
    Path dataDir;

    private final ServerMetrics metrics = new ServerMetrics();

    private static WalRecord fact(LobbyFact f) throws Exception {
        return WalRecord.of(WalRecord.Type.POOL_FACT, POOL, ProtocolCodec.mapper().writeValueAsBytes(f));
    }

    private static WalRecord snapshot(byte[] body) {
        return WalRecord.of(WalRecord.Type.POOL_SNAPSHOT, POOL, body);
    }

    private static LobbyFact joined(String pid, long now) {
        return new LobbyFact.Joined(pid, Set.of("en"), Set.of(), false, Set.of(), 1, now);
    }

    private void writeSegment(List<WalRecord> records) throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        Files.createDirectories(segments.dir());
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        out.put(WalFormat.MAGIC);
        for (WalRecord r : records) {
            WalFormat.encode(r, out);
        }
        Files.write(segments.path(1), java.util.Arrays.copyOf(out.array(), out.position()));
    }

    private WriteAheadLog.Recovered recover() throws Exception {
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100), metrics)) {
            return log.takeRecovered();
        }
    }

    @Test
    void aStartFoldsFromTheLastReadableSnapshotAndReportsAnUnreadableOne() throws Exception {
        writeSegment(List.of(
                fact(new LobbyFact.PoolOpened(LobbyConfig.of(POOL, 1, "consent"), 2)),
                fact(joined("p1", 1)),
                snapshot(ProtocolCodec.mapper().writeValueAsBytes(PoolSnapshots.waiting(POOL, 1, List.of("p1")))),
                fact(joined("p2", 2)),
                snapshot("{\"fact\":\"pool_snapshot\",\"config\":42}".getBytes(StandardCharsets.UTF_8)),
                fact(joined("p3", 3))));
        WriteAheadLog.Recovered r = recover();
        List<LobbyFact> facts = r.pools().get(POOL);
        assertEquals(3, facts.size(), facts.toString());
        assertInstanceOf(PoolSnapshot.class, facts.get(0));
        assertEquals(List.of(joined("p2", 2), joined("p3", 3)), facts.subList(1, 3));
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("pool " + POOL + ": unreadable snapshot at segment 1")
                && p.contains("folded from its previous snapshot")), r.problems().toString());
    }

    @Test
    void aPoolWhoseFactsLostTheirStartIsReportedAsNotRebuilt() throws Exception {
        writeSegment(List.of(fact(joined("p1", 1)), fact(new LobbyFact.Left("p1", 2))));
        WriteAheadLog.Recovered r = recover();
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("pool " + POOL) && p.contains("not rebuilt")),
                r.problems().toString());
    }

    @Test
    void retentionDeletesWhatTheSecondToLastSnapshotSupersedes() throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100).withSegmentBytes(4096), metrics)) {
            log.record(POOL, new LobbyFact.PoolOpened(LobbyConfig.of(POOL, 1, "consent"), 2));
            long now = 0;
            for (int snapshots = 1; snapshots <= 3; snapshots++) {
                long rolls = log.segmentRolls();
                while (log.segmentRolls() == rolls) { // one fact per batch, until the writer rolls
                    long before = segments.list().size() + Files.size(segments.path(segments.list().get(
                            segments.list().size() - 1)));
                    log.record(POOL, joined("p" + now + "-" + "x".repeat(200), ++now));
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> segments.list().size()
                            + Files.size(segments.path(segments.list().get(segments.list().size() - 1))) != before);
                }
                log.record(POOL, PoolSnapshots.empty(POOL, now));
                List<Integer> kept = snapshots == 1 ? List.of(1, 2) : snapshots == 2 ? List.of(2, 3) : List.of(3, 4);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> segments.list().equals(kept));
            }
        }
        // a start finds the pool's last snapshot and what the kept segments hold
        WriteAheadLog.Recovered r = recover();
        assertInstanceOf(PoolSnapshot.class, r.pools().get(POOL).get(0));
        assertEquals(List.of(), r.problems());
    }

    @Test
    void aSnapshotOverTheRecordLimitIsWrittenInChunksAndAStartFoldsFromIt() throws Exception {
        PoolSnapshot big = PoolSnapshots.withNames(POOL, 1, 20 << 20); // 20 MiB of JSON: over one record's 16 MiB
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100), metrics)) {
            log.record(POOL, new LobbyFact.PoolOpened(LobbyConfig.of(POOL, 1, "consent"), 2));
            log.record(POOL, joined("p1", 1));
            log.record(POOL, big);
            log.record(POOL, joined("p2", 2)); // recorded while the snapshot is encoded: written after it
        }
        List<String> chunks = chunkTags().stream().map(t -> t.substring(t.indexOf(' ') + 1)).toList();
        assertTrue(chunks.size() >= 5, chunks.toString()); // 4 MiB each
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i + "/" + chunks.size(), chunks.get(i));
        }
        WriteAheadLog.Recovered r = recover();
        List<LobbyFact> facts = r.pools().get(POOL);
        assertEquals(2, facts.size(), "the snapshot and the fact after it");
        assertEquals(big, facts.get(0));
        assertEquals(joined("p2", 2), facts.get(1));
        assertEquals(List.of(), r.problems());
    }

    @Test
    void aChunkedSnapshotCutShortIsSkippedAndThePoolFoldsFromTheOneBefore() throws Exception {
        LobbyFact before = PoolSnapshots.waiting(POOL, 1, List.of("p1"));
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100), metrics)) {
            log.record(POOL, new LobbyFact.PoolOpened(LobbyConfig.of(POOL, 1, "consent"), 2));
            log.record(POOL, joined("p1", 1));
            log.record(POOL, before);
            log.record(POOL, joined("p2", 2));
            log.record(POOL, PoolSnapshots.withNames(POOL, 2, 9 << 20)); // three chunks
        }
        // A crash after its second chunk was durable: the log ends there.
        Path segment = new WalSegments(dataDir).path(1);
        long[] ends = chunkEnds(segment);
        assertEquals(3, ends.length);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(segment,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ends[1]);
        }
        WriteAheadLog.Recovered r = recover();
        assertEquals(List.of(before, joined("p2", 2)), r.pools().get(POOL));
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("is incomplete (2 of 3 chunks)")
                && p.contains("folded from its previous snapshot")), r.problems().toString());

        // The pool goes on after the cut: its next fact ends the unfinished snapshot for every later start too.
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100), metrics)) {
            log.takeRecovered();
            log.record(POOL, joined("p3", 3));
        }
        r = recover();
        assertEquals(List.of(before, joined("p2", 2), joined("p3", 3)), r.pools().get(POOL));
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("is incomplete (2 of 3 chunks)")), r.problems().toString());
    }

    @Test
    void retentionCountsAChunkedSnapshotFromItsFirstChunk() throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100).withSegmentBytes(4096), metrics)) {
            long now = openAndFillFirstSegment(log, segments);
            log.record(POOL, PoolSnapshots.withNames(POOL, now, 5 << 20)); // two chunks
            log.record(POOL, joined("after-first", ++now));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> chunkTagsIn(segments).size() == 2);
            assertTrue(segments.list().contains(1), "one snapshot: everything since the opening is kept");
            log.record(POOL, PoolSnapshots.withNames(POOL, now, 5 << 20));
            // the first snapshot is now the second-to-last: what precedes its first chunk (segment 1) goes
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !segments.list().contains(1));
            assertEquals(4, chunkTagsIn(segments).size(), "both snapshots' chunks are kept");
        }
        WriteAheadLog.Recovered r = recover();
        assertEquals(1, r.pools().get(POOL).size(), "the last snapshot");
        assertInstanceOf(PoolSnapshot.class, r.pools().get(POOL).get(0));
        assertEquals(List.of(), r.problems());
    }

    @Test
    void aClosedPoolIsNotRebuiltAndItsRecordsStopHoldingSegments() throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH,
                100).withSegmentBytes(4096), metrics)) {
            long now = openAndFillFirstSegment(log, segments); // no snapshot
            Thread.sleep(300);
            assertTrue(segments.list().contains(1), "an open pool without a snapshot keeps its segments");
            log.record(POOL, new LobbyFact.Left("p0-" + "x".repeat(200), ++now));
            log.record(POOL, new LobbyFact.PoolClosed(++now));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !segments.list().contains(1));
        }
        WriteAheadLog.Recovered r = recover();
        assertEquals(null, r.pools().get(POOL), "a closed pool is not rebuilt");
        assertEquals(List.of(), r.problems());
    }

    /**
     * Opens the pool and records its facts one per batch until the writer rolls: segment 1 then holds the
     * pool's opening and facts. Returns the last fact's time.
     */
    private static long openAndFillFirstSegment(FileWriteAheadLog log, WalSegments segments) throws Exception {
        log.record(POOL, new LobbyFact.PoolOpened(LobbyConfig.of(POOL, 1, "consent"), 2));
        long now = 0;
        while (log.segmentRolls() == 0) {
            long before = Files.size(segments.path(1));
            log.record(POOL, joined("p" + now + "-" + "x".repeat(200), ++now));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> segments.list().size() > 1
                    || Files.size(segments.path(1)) != before);
        }
        return now;
    }

    /** The tags of the chunk records in segment 1, in order. */
    private List<String> chunkTags() throws Exception {
        return chunkTagsIn(new WalSegments(dataDir));
    }

    private static List<String> chunkTagsIn(WalSegments segments) throws Exception {
        List<String> tags = new java.util.ArrayList<>();
        for (int segment : segments.list()) {
            frames(segments.path(segment), (r, end) -> {
                if (r.type() == WalRecord.Type.POOL_SNAPSHOT && !r.tag().isEmpty()) {
                    tags.add(r.tag());
                }
            });
        }
        return tags;
    }

    /** Where each chunk record of the segment ends. */
    private static long[] chunkEnds(Path segment) throws Exception {
        List<Long> ends = new java.util.ArrayList<>();
        frames(segment, (r, end) -> {
            if (r.type() == WalRecord.Type.POOL_SNAPSHOT && !r.tag().isEmpty()) {
                ends.add(end);
            }
        });
        return ends.stream().mapToLong(Long::longValue).toArray();
    }

    /** Walks a segment's frames as {@link WalFormat} lays them out. */
    private static void frames(Path segment, java.util.function.ObjLongConsumer<WalRecord> each) throws Exception {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(segment));
        all.position(WalFormat.HEADER);
        while (all.remaining() >= 8) {
            int length = all.getInt();
            int crc = all.getInt();
            ByteBuffer payload = all.slice();
            payload.limit(length);
            WalRecord r = WalFormat.decode(crc, payload);
            all.position(all.position() + length);
            each.accept(r, all.position());
        }
    }
}
