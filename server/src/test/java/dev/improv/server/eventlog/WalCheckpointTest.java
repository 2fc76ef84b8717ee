package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionMeta;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints: a start from a checkpoint plus the log after it folds exactly what a start from the whole log
 * folds (compared as the fold's complete encoded state, at every record end of a log with every record type); a
 * torn or stale checkpoint is ignored; the log writes them while it runs and a start uses them.
 */
@Tag("integration")
class WalCheckpointTest {
    @TempDir
    Path dataDir;

    private static final String A = "20261202T000000Z-a-1111";
    private static final String B = "20261202T000000Z-b-2222";
    private static final String C = "20261202T000000Z-c-3333";

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(Object o) throws Exception {
        return ProtocolCodec.mapper().writeValueAsBytes(o);
    }

    private static WalRecord open(String id, String room) throws Exception {
        return WalRecord.of(WalRecord.Type.SESSION_OPEN, id, json(new WalFacts.SessionOpened(id, room, "Room " + room,
                1_700_000_000_000_000L, WalFacts.Limits.of(new RoomLimits(8, Map.of(), 30_000, 4096)))));
    }

    private static WalRecord event(String id, long seq, String json, String tag) {
        return new WalRecord(WalRecord.Type.EVENT, id, seq, tag, utf8(json));
    }

    private static String joined(long seq, String pid, String role) {
        return "{\"type\":\"member_joined\",\"seq\":" + seq + ",\"ts\":" + (1000 + seq) + ",\"actor\":\"" + pid
                + "\",\"member\":{\"id\":\"" + pid + "\",\"name\":\"N" + pid + "\",\"role\":\"" + role
                + "\",\"connected\":true,\"muted\":false,\"capabilities\":[\"local_take\"]}}";
    }

    private static String prompt(long seq) {
        return "{\"type\":\"prompt\",\"seq\":" + seq + ",\"ts\":" + (1000 + seq) + ",\"actor\":\"m\",\"text\":\"t" + seq
                + "\",\"scene\":1}";
    }

    /**
     * Every kind of record the fold reads, over three sessions (one closed and exported, one closed) and a pool
     * (facts, a snapshot, facts after it).
     */
    private List<WalRecord> log() throws Exception {
        List<WalRecord> out = new ArrayList<>();
        out.add(WalRecord.of(WalRecord.Type.POOL_FACT, "pool-1", json(new LobbyFact.Ticked(5))));
        out.add(open(A, "a"));
        out.add(new WalRecord(WalRecord.Type.SEQ_RESERVE, A, 1024, "", new byte[0]));
        out.add(open(B, "b"));
        out.add(event(A, 1, joined(1, "m", "moderator"), ""));
        out.add(event(A, 2, joined(2, "p", "performer"), ""));
        out.add(event(B, 1, joined(1, "m2", "moderator"), ""));
        out.add(WalRecord.of(WalRecord.Type.POOL_FACT, "pool-1", json(new LobbyFact.Left("p9", 7))));
        out.add(WalRecord.of(WalRecord.Type.POOL_SNAPSHOT, "pool-1", json(PoolSnapshots.empty("pool-1", 7))));
        out.add(event(A, 3, "{\"type\":\"scene_started\",\"seq\":3,\"ts\":1003,\"actor\":\"m\",\"scene\":1,"
                + "\"title\":\"one\"}", ""));
        for (long s = 4; s < 40; s++) {
            out.add(event(A, s, prompt(s), "m k" + s));
            if (s % 5 == 0) {
                out.add(event(B, s / 5 + 1, prompt(s / 5 + 1), "m2 q" + s));
            }
        }
        out.add(event(A, 40, "{\"type\":\"muted\",\"seq\":40,\"ts\":1040,\"actor\":\"m\",\"target\":\"p\","
                + "\"muted\":true}", "m mute-1"));
        out.add(WalRecord.of(WalRecord.Type.ROOM_FACT, A, utf8("{\"fact\":\"ban\",\"participant\":\"x\"}")));
        out.add(event(A, 41, "{\"type\":\"room_locked\",\"seq\":41,\"ts\":1041,\"actor\":\"m\",\"locked\":true}", ""));
        out.add(event(A, 42, "{\"type\":\"presence\",\"seq\":42,\"ts\":1042,\"actor\":\"p\",\"id\":\"p\","
                + "\"connected\":false}", ""));
        out.add(event(A, 43, "{\"type\":\"scene_ended\",\"seq\":43,\"ts\":1043,\"actor\":\"m\",\"scene\":1}", ""));
        out.add(open(C, "c"));
        out.add(event(C, 1, joined(1, "m3", "moderator"), ""));
        SessionMeta closedB = new SessionMeta(B, "b", "Room b", 1_700_000_000_000_000L, 1_700_000_000_100_000L, 1,
                "test", List.of(), List.of());
        out.add(WalRecord.of(WalRecord.Type.SESSION_CLOSE, B, json(closedB)));
        out.add(WalRecord.of(WalRecord.Type.SESSION_EXPORTED, B, new byte[0]));
        SessionMeta closedC = new SessionMeta(C, "c", "Room c", 1_700_000_000_000_000L, 1_700_000_000_200_000L, 1,
                "test", List.of(), List.of());
        out.add(WalRecord.of(WalRecord.Type.SESSION_CLOSE, C, json(closedC)));
        for (long s = 44; s < 60; s++) {
            out.add(event(A, s, prompt(s), "p z" + s));
        }
        out.add(new WalRecord(WalRecord.Type.SEQ_RESERVE, A, 2048, "", new byte[0]));
        out.add(WalRecord.of(WalRecord.Type.POOL_FACT, "pool-1", json(new LobbyFact.Ticked(9))));
        return out;
    }

    /** Writes the records over two segments; returns each record's end as a log position. */
    private List<Long> write(List<WalRecord> records) throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        Files.createDirectories(segments.dir());
        List<Long> ends = new ArrayList<>();
        int half = records.size() / 2;
        for (int seg = 1; seg <= 2; seg++) {
            ByteBuffer out = ByteBuffer.allocate(1 << 20);
            out.put(WalFormat.MAGIC);
            for (WalRecord r : seg == 1 ? records.subList(0, half) : records.subList(half, records.size())) {
                WalFormat.encode(r, out);
                ends.add(WalFormat.position(seg, out.position()));
            }
            Files.write(segments.path(seg), java.util.Arrays.copyOf(out.array(), out.position()));
        }
        return ends;
    }

    private static byte[] state(WalRecovery fold) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(fold.lastPosition);
        out.writeLong(fold.coveredTo);
        fold.writeState(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static long startOf(long end, List<Long> ends) {
        int i = ends.indexOf(end);
        if (i == 0 || WalFormat.segmentOf(ends.get(i - 1)) != WalFormat.segmentOf(end)) {
            return WalFormat.position(WalFormat.segmentOf(end), WalFormat.HEADER);
        }
        return ends.get(i - 1);
    }

    @Test
    void aStartFromACheckpointAtAnyRecordFoldsExactlyWhatTheWholeLogFolds() throws Exception {
        List<Long> ends = write(log());
        WalSegments segments = new WalSegments(dataDir);
        WalRecovery whole = new WalRecovery();
        segments.scan(whole, false);
        byte[] expected = state(whole);
        assertTrue(whole.sessions.containsKey(A) && whole.sessions.containsKey(C) && !whole.sessions.containsKey(B),
                "the log folds to an open, a closed and no exported session");
        for (int i = 0; i < ends.size(); i++) {
            long cut = ends.get(i);
            boolean segmentEdge = i + 1 == ends.size() || WalFormat.segmentOf(ends.get(i + 1)) != WalFormat.segmentOf(cut)
                    || i == 0 || WalFormat.segmentOf(ends.get(i - 1)) != WalFormat.segmentOf(cut);
            if (i % 3 != 0 && !segmentEdge) {
                continue; // every third record end (each checkpoint is forced to disk), and each segment's edges
            }
            WalRecovery prefix = new WalRecovery();
            segments.scan(prefix, false, 0, cut, null);
            assertEquals(cut, prefix.coveredTo);
            WalCheckpoint.write(segments, prefix, startOf(cut, ends), cut);
            StringBuilder why = new StringBuilder();
            WalCheckpoint.Loaded loaded = WalCheckpoint.load(segments, why);
            assertNotNull(loaded, "checkpoint at " + cut + ": " + why);
            assertEquals(cut, loaded.covered());
            segments.scan(loaded.fold(), true, loaded.covered(), Long.MAX_VALUE, null);
            assertArrayEquals(expected, state(loaded.fold()), "a start from the checkpoint at segment "
                    + WalFormat.segmentOf(cut) + " offset " + WalFormat.offsetOf(cut) + " folds the same state");
        }
        // and what the room gets from it is the same room
        RecoveredRoom a = whole.sessions.get(A).room;
        assertEquals(59, a.lastSeq());
        assertEquals(2048, a.reservedSeq());
        assertEquals(1059, a.lastTs());
    }

    @Test
    void aTornCheckpointIsIgnored() throws Exception {
        List<Long> ends = write(log());
        WalSegments segments = new WalSegments(dataDir);
        WalRecovery prefix = new WalRecovery();
        long cut = ends.get(ends.size() - 3);
        segments.scan(prefix, false, 0, cut, null);
        WalCheckpoint.write(segments, prefix, startOf(cut, ends), cut);
        Path file = WalCheckpoint.path(segments);
        byte[] good = Files.readAllBytes(file);

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x10;
        Files.write(file, flipped);
        StringBuilder why = new StringBuilder();
        assertNull(WalCheckpoint.load(segments, why));
        assertTrue(why.toString().contains("torn"), why.toString());

        Files.write(file, java.util.Arrays.copyOf(good, good.length - 100)); // cut short, as a crash mid-write
        why.setLength(0);
        assertNull(WalCheckpoint.load(segments, why));
        assertTrue(why.toString().contains("torn") || why.toString().contains("not a checkpoint"), why.toString());

        Files.write(file, new byte[0]);
        why.setLength(0);
        assertNull(WalCheckpoint.load(segments, why));

        Files.write(file, good);
        assertNotNull(WalCheckpoint.load(segments, new StringBuilder()), "the whole one is used");
    }

    @Test
    void aStaleCheckpointIsIgnored() throws Exception {
        List<Long> ends = write(log());
        WalSegments segments = new WalSegments(dataDir);
        WalRecovery prefix = new WalRecovery();
        long cut = ends.get(ends.size() - 3);
        segments.scan(prefix, false, 0, cut, null);
        WalCheckpoint.write(segments, prefix, startOf(cut, ends), cut);
        Path last = segments.path(WalFormat.segmentOf(cut));
        byte[] segment = Files.readAllBytes(last);

        // the segment cut below the checkpoint (a torn tail cut after a power loss the checkpoint outlived)
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.truncate(WalFormat.offsetOf(cut) - 5);
        }
        StringBuilder why = new StringBuilder();
        assertNull(WalCheckpoint.load(segments, why));
        assertTrue(why.toString().contains("stale"), why.toString());

        // another record at its position (the segment replaced): same length, other bytes
        byte[] other = segment.clone();
        other[(int) WalFormat.offsetOf(cut) - 2] ^= 0x01;
        Files.write(last, other);
        why.setLength(0);
        assertNull(WalCheckpoint.load(segments, why));
        assertTrue(why.toString().contains("stale"), why.toString());

        // the segment gone
        Files.delete(last);
        why.setLength(0);
        assertNull(WalCheckpoint.load(segments, why));
        assertTrue(why.toString().contains("gone"), why.toString());

        Files.write(last, segment);
        assertNotNull(WalCheckpoint.load(segments, new StringBuilder()));
    }

    @Test
    void theLogWritesCheckpointsWhileRunningAndAStartUsesThemAndTheLogAfter() throws Exception {
        FileWriteAheadLog.Settings settings = FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 50)
                .withCheckpointBytes(4096).withSegmentBytes(32 * 1024);
        RoomLimits limits = new RoomLimits(8, Map.of(), 30_000, 4096);
        SessionMeta meta = new SessionMeta(A, "a", "Room a", 1_700_000_000_000_000L, null, 1, "test", List.of(),
                List.of());
        int first = 600;
        int total = 620;
        WalSegments segments = new WalSegments(dataDir);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, settings, new ServerMetrics())) {
            var session = log.open(meta, limits, seq -> {
                if (seq == first) {
                    done.countDown();
                }
            });
            session.append(1, utf8(joined(1, "m", "moderator")));
            for (long s = 2; s <= first; s++) {
                session.append(s, utf8(prompt(s)), "m", "k" + s);
            }
            assertTrue(done.await(20, java.util.concurrent.TimeUnit.SECONDS));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                    WalCheckpoint.load(segments, new StringBuilder()) != null); // written while running
        } // the clean stop writes one at the end
        WalCheckpoint.Loaded atStop = WalCheckpoint.load(segments, new StringBuilder());
        WalRecovery all = new WalRecovery();
        segments.scan(all, false);
        assertArrayEquals(state(all), state(atStop.fold()), "the checkpoint of a clean stop covers the whole log");

        // started again from it; a few events more (less than a checkpoint's worth); then a crash
        Path crash = dataDir.resolveSibling(dataDir.getFileName() + "-crash");
        java.util.concurrent.CountDownLatch more = new java.util.concurrent.CountDownLatch(1);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dataDir, settings, new ServerMetrics())) {
            assertEquals(first, log.takeRecovered().rooms().get(0).lastSeq());
            var session = log.resume("a", A, seq -> {
                if (seq == total) {
                    more.countDown();
                }
            });
            for (long s = first + 1; s <= total; s++) {
                session.append(s, utf8(prompt(s)), "m", "k" + s);
            }
            assertTrue(more.await(20, java.util.concurrent.TimeUnit.SECONDS));
            copyWal(dataDir, crash); // the files as a SIGKILL leaves them: no checkpoint at the end
        }
        WalRecovery whole = new WalRecovery();
        new WalSegments(crash).scan(whole, false);
        WalCheckpoint.Loaded loaded = WalCheckpoint.load(new WalSegments(crash), new StringBuilder());
        assertNotNull(loaded);
        assertTrue(loaded.fold().records < whole.records, "the checkpoint covers part of the log");
        try (FileWriteAheadLog again = FileWriteAheadLog.open(crash, settings, new ServerMetrics())) {
            WriteAheadLog.Recovered r = again.takeRecovered();
            assertEquals(1, r.rooms().size());
            RecoveredRoom room = r.rooms().get(0);
            assertEquals(total, room.lastSeq());
            assertEquals(whole.sessions.get(A).room.lastTs(), room.lastTs());
            List<Long> read = new ArrayList<>();
            again.live(A).orElseThrow().events(1, total, (seq, bytes) -> { // every event through the index
                assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("\"seq\":" + seq));
                read.add(seq);
            });
            assertEquals(total, read.size());
        }
    }

    private static void copyWal(Path from, Path to) throws Exception {
        Path src = from.resolve("wal");
        Path dst = to.resolve("wal");
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().endsWith(".wal") || f.getFileName().toString().equals("checkpoint")) {
                    Files.copy(f, dst.resolve(f.getFileName()));
                }
            }
        }
    }
}
