package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segment file as the writer leaves it: zeros written ahead of the records never land on a record, a finished
 * segment holds exactly its records, and a segment left with its zeros (a kill) scans back whole and is written on.
 */
class FileWalStorageTest {
    private static final long STEP = 128 << 10;

    @TempDir
    Path dataDir;

    private static WalRecord record(long seq, int bodyBytes, Random random) {
        byte[] body = new byte[bodyBytes];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + random.nextInt(26));
        }
        return new WalRecord(WalRecord.Type.EVENT, "s-1", seq, "", body);
    }

    private static void write(FileWalStorage storage, WalRecord r, ByteArrayOutputStream expected) throws Exception {
        byte[] frame = WalFormat.encode(r);
        expected.write(frame);
        storage.write(ByteBuffer.wrap(frame));
    }

    private List<WalRecord> scanAll(List<String> problems) throws Exception {
        List<WalRecord> out = new ArrayList<>();
        try (WalSegments segments = new WalSegments(dataDir)) {
            problems.addAll(segments.scan((r, p) -> out.add(r), true).problems());
        }
        return out;
    }

    @Test
    void recordsWrittenAcrossTheZeroedRangesAreIntactAndAFinishedSegmentEndsAtItsLastRecord() throws Exception {
        Random random = new Random(7);
        WalSegments segments = new WalSegments(dataDir);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(WalFormat.MAGIC);
        FileWalStorage storage = new FileWalStorage(segments, STEP);
        storage.openAppend(0, 0);
        // sizes from a few bytes to more than a step in one write: some writes must wait for the zeros under them
        for (int seq = 1; seq <= 1_500; seq++) {
            int size = seq % 200 == 0 ? (int) (STEP + 5_000) : 1 + random.nextInt(3_000);
            write(storage, record(seq, size, random), expected);
            if (seq % 50 == 0) {
                storage.force();
            }
        }
        long offset = storage.offset();
        assertEquals(expected.size(), offset);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> Files.size(segments.path(1)) > offset);
        byte[] file = Files.readAllBytes(segments.path(1));
        assertArrayEquals(expected.toByteArray(), Arrays.copyOf(file, (int) offset), "records under the zeros");
        for (int i = (int) offset; i < file.length; i++) {
            assertEquals(0, file[i], "byte " + i + " after the last record");
        }
        assertTrue(file.length - offset <= 2 * STEP + 64, "zeros at most two steps ahead: " + (file.length - offset));

        storage.roll();
        assertEquals(offset, Files.size(segments.path(1)), "a finished segment ends at its last record");
        storage.close();
        assertEquals(WalFormat.HEADER, Files.size(segments.path(2)), "a clean stop leaves no zeros either");
    }

    @Test
    void aSegmentLeftWithItsZerosScansBackWholeAndTheNextWritesGoOnAfterItsLastRecord() throws Exception {
        Random random = new Random(11);
        WalSegments segments = new WalSegments(dataDir);
        FileWalStorage killed = new FileWalStorage(segments, STEP);
        killed.openAppend(0, 0);
        ByteArrayOutputStream ignored = new ByteArrayOutputStream();
        for (int seq = 1; seq <= 100; seq++) {
            write(killed, record(seq, 500, random), ignored);
        }
        killed.force();
        long end = killed.offset();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> Files.size(segments.path(1)) > end);
        // not closed: what a kill -9 leaves (zeros after the records)

        List<String> problems = new ArrayList<>();
        assertEquals(100, scanAll(problems).size());
        assertEquals(List.of(), problems, "zeros after the last record are not damage");
        long scannedEnd;
        try (WalSegments again = new WalSegments(dataDir)) {
            scannedEnd = again.scan((r, p) -> { }, true).end();
        }
        assertEquals(end, scannedEnd);
        assertTrue(Files.size(segments.path(1)) > end, "the zeros stay to be written on");

        FileWalStorage reopened = new FileWalStorage(segments, STEP);
        reopened.openAppend(1, scannedEnd);
        for (int seq = 101; seq <= 150; seq++) {
            write(reopened, record(seq, 500, random), ignored);
        }
        reopened.force();
        reopened.close();
        problems.clear();
        List<WalRecord> all = scanAll(problems);
        assertEquals(150, all.size());
        assertEquals(List.of(), problems);
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i + 1, all.get(i).seq());
        }
    }
}
