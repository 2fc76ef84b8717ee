package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The segment format: frames, checksums, torn tails cut on open, damage inside the log, reading by position. */
class WalSegmentsTest {
    @TempDir
    Path dataDir;

    private static WalRecord event(long seq) {
        return new WalRecord(WalRecord.Type.EVENT, "s-1", seq, seq % 2 == 0 ? "p-1 c" + seq : "",
                ("{\"type\":\"prompt\",\"seq\":" + seq + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes segment {@code n} holding {@code records}; returns the end offset of each record. */
    private List<Long> writeSegment(int n, List<WalRecord> records) throws Exception {
        WalSegments segments = new WalSegments(dataDir);
        Files.createDirectories(segments.dir());
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        out.put(WalFormat.MAGIC);
        List<Long> ends = new ArrayList<>();
        for (WalRecord r : records) {
            WalFormat.encode(r, out);
            ends.add((long) out.position());
        }
        Files.write(segments.path(n), java.util.Arrays.copyOf(out.array(), out.position()));
        return ends;
    }

    private record Seen(List<WalRecord> records, List<Long> positions, WalSegments.ScanResult result) {
    }

    private Seen scan(boolean repair) throws Exception {
        List<WalRecord> records = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        WalSegments.ScanResult result;
        try (WalSegments segments = new WalSegments(dataDir)) {
            result = segments.scan((r, p) -> {
                records.add(r);
                positions.add(p);
            }, repair);
        }
        return new Seen(records, positions, result);
    }

    @Test
    void recordsComeBackWithTheirFieldsAndPositions() throws Exception {
        writeSegment(1, List.of(event(1), event(2), WalRecord.of(WalRecord.Type.POOL_FACT, "pool-a",
                "{\"fact\":\"ticked\",\"now\":5}".getBytes(StandardCharsets.UTF_8))));
        Seen seen = scan(false);
        assertEquals(3, seen.records().size());
        assertEquals(2, seen.records().get(1).seq());
        assertEquals("p-1", seen.records().get(1).originPid());
        assertEquals("c2", seen.records().get(1).cid());
        assertNull(seen.records().get(0).cid());
        assertEquals("pool-a", seen.records().get(2).key());
        assertEquals(List.of(), seen.result().problems());
        try (WalSegments segments = new WalSegments(dataDir)) {
            WalRecord again = segments.readAt(seen.positions().get(1));
            assertArrayEquals(event(2).body(), again.body());
        }
    }

    @Test
    void aHalfWrittenLastRecordIsCutOff() throws Exception {
        List<Long> ends = writeSegment(1, List.of(event(1), event(2), event(3)));
        Path file = new WalSegments(dataDir).path(1);
        long size = Files.size(file);
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 5); // the crash came in the middle of record 3
        }
        Seen seen = scan(true);
        assertEquals(2, seen.records().size());
        assertEquals(ends.get(1), seen.result().end());
        assertEquals(ends.get(1), Files.size(file), "the torn tail is cut off the file");
        assertTrue(seen.result().problems().get(0).contains("torn tail"), seen.result().problems().toString());
        assertEquals(2, scan(true).records().size(), "a second open finds nothing to cut");
    }

    @Test
    void zerosAfterTheLastRecordAreKeptAndAFlippedByteIsATornTail() throws Exception {
        List<Long> ends = writeSegment(1, List.of(event(1), event(2)));
        Path file = new WalSegments(dataDir).path(1);
        Files.write(file, new byte[4096], StandardOpenOption.APPEND);
        Seen zeros = scan(true);
        assertEquals(2, zeros.records().size());
        assertEquals(ends.get(1), zeros.result().end(), "the next record goes right after the last one");
        assertEquals(ends.get(1) + 4096, Files.size(file), "zeros (zero-filled ahead, or a power cut) are kept");
        assertEquals(List.of(), zeros.result().problems());
        Files.write(file, new byte[] {1}, StandardOpenOption.APPEND); // not zeros all the way: a torn tail
        assertEquals(2, scan(true).records().size());
        assertEquals(ends.get(1), Files.size(file));

        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x20; // inside the body of record 2: its checksum no longer matches
        Files.write(file, bytes);
        Seen seen = scan(true);
        assertEquals(1, seen.records().size());
        assertEquals(ends.get(0), Files.size(file));
    }

    @Test
    void damageInsideAnEarlierSegmentLosesOnlyTheRestOfThatSegment() throws Exception {
        writeSegment(1, List.of(event(1), event(2), event(3)));
        writeSegment(2, List.of(event(4)));
        Path first = new WalSegments(dataDir).path(1);
        byte[] bytes = Files.readAllBytes(first);
        bytes[WalFormat.HEADER + 2] = 0x7f; // the length of record 1 is now absurd
        Files.write(first, bytes);
        Seen seen = scan(true);
        assertEquals(List.of(4L), seen.records().stream().map(WalRecord::seq).toList());
        assertEquals(bytes.length, Files.size(first), "an earlier segment is never cut");
        assertTrue(seen.result().problems().get(0).contains("damage inside the log"));
    }

    @Test
    void frameSizeIsWhatEncodeWrites() {
        WalRecord r = event(7);
        assertEquals(r.frameBytes(), WalFormat.encode(r).length);
    }
}
