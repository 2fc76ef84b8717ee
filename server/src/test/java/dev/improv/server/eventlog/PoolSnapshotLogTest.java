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
}
