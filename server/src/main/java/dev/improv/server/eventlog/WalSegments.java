package dev.improv.server.eventlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment files of a node's write-ahead log: {@code <dataDir>/wal/0000000001.wal}, {@code 0000000002.wal}, …
 * (numbered in write order). Scanning reads them front to back in a fixed-size window (never a whole file into
 * memory) and can cut a torn tail off the last one; {@link #readAt} reads one record back by its position for
 * resumes and exports, on the caller's thread, through read-only channels it keeps open. Thread-safe.
 */
public final class WalSegments implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WalSegments.class);
    private static final Pattern NAME = Pattern.compile("(\\d{10})\\.wal");
    /** Bytes read per call while scanning (sequential reads of a large window). */
    private static final int WINDOW = 4 << 20;

    private final Path dir;
    /** Read-only channels by segment number; opened on first read, closed when the segment is deleted. */
    private final Map<Integer, FileChannel> readers = new ConcurrentHashMap<>();
    /** Finished segments watched for deletion ({@link #hold}): their file identity when held. */
    private final Map<Integer, Object> held = new ConcurrentHashMap<>();

    public WalSegments(Path dataDir) {
        this.dir = dataDir.resolve("wal").toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    public Path path(int segment) {
        // not String.format: the writer asks for its segment's path at every batch (the file check)
        String digits = Integer.toString(segment);
        return dir.resolve("0000000000".substring(Math.min(10, digits.length())) + digits + ".wal");
    }

    /** Segment numbers on disk, ascending. */
    public List<Integer> list() throws IOException {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        Collections.sort(out);
        return out;
    }

    /** Receives each valid record of a scan with its position. */
    @FunctionalInterface
    public interface Visitor {
        void record(WalRecord record, long position) throws IOException;
    }

    /**
     * What a scan found.
     *
     * @param lastSegment  number of the last segment (0 when there is none)
     * @param end          offset just after the last valid record of the last segment
     * @param cutBytes     bytes of torn tail cut off the last segment (when {@code repair})
     * @param problems     one sentence per damaged place
     */
    public record ScanResult(int lastSegment, long end, long cutBytes, List<String> problems) {
    }

    /**
     * Reads every valid record of every segment in order. A damaged frame ends its segment: in the last segment
     * that is a torn tail, cut off when {@code repair} is set; in an earlier one the rest of that segment is lost
     * (reported) and the scan goes on with the next segment. Only zeros after the last record of the last segment
     * are no damage: the writer zero-fills ahead of its records (FileWalStorage), and they stay for it to write on.
     */
    public ScanResult scan(Visitor visitor, boolean repair) throws IOException {
        return scan(visitor, repair, 0, Long.MAX_VALUE, null);
    }

    /**
     * {@link #scan(Visitor, boolean)} of the records from log position {@code from} (0: the start; else the end of
     * a record, as a checkpoint covers it) up to {@code to} (a record end, or {@code Long.MAX_VALUE}: the end of the
     * log). Keys are made through {@code keys} when given (a scan that goes on from a checkpoint's fold).
     */
    ScanResult scan(Visitor visitor, boolean repair, long from, long to, AsciiInterner keys) throws IOException {
        List<Integer> all = list();
        List<String> problems = new ArrayList<>();
        keys = keys != null ? keys : new AsciiInterner();
        int fromSegment = from == 0 ? 0 : WalFormat.segmentOf(from);
        int toSegment = to == Long.MAX_VALUE ? Integer.MAX_VALUE : WalFormat.segmentOf(to);
        long end = 0;
        long cut = 0;
        for (int i = 0; i < all.size(); i++) {
            int segment = all.get(i);
            if (segment < fromSegment || segment > toSegment) {
                continue;
            }
            boolean last = i == all.size() - 1;
            long start = segment == fromSegment && from != 0 ? WalFormat.offsetOf(from) : WalFormat.HEADER;
            long stop = segment == toSegment && to != Long.MAX_VALUE ? WalFormat.offsetOf(to) : Long.MAX_VALUE;
            FileChannel opened;
            try {
                opened = FileChannel.open(path(segment), last && repair
                        ? new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE}
                        : new StandardOpenOption[] {StandardOpenOption.READ});
            } catch (NoSuchFileException gone) {
                // deleted by retention since it was listed (a checkpoint folding while the writer runs): nothing in
                // it is needed any more
                continue;
            }
            try (FileChannel ch = opened) {
                long valid = scanSegment(segment, ch, visitor, keys, start, stop);
                long size = Math.min(ch.size(), stop);
                if (last && valid < size && valid >= WalFormat.HEADER && zerosFrom(ch, valid, size)) {
                    // space the writer zero-filled ahead (FileWalStorage), or zeros after a power cut: where the
                    // next record goes, not damage
                    LOG.debug("write-ahead log: {} zero bytes after the last record of {}", size - valid,
                            path(segment));
                } else if (valid < size) {
                    String what = "segment " + path(segment).getFileName() + ": " + (size - valid)
                            + " bytes after offset " + valid + " are not valid records";
                    if (last) {
                        problems.add(what + " (torn tail" + (repair ? ", cut off" : "") + ")");
                        if (repair) {
                            LOG.warn("write-ahead log: cutting a torn tail of {} bytes off {}", size - valid,
                                    path(segment));
                            if (valid < WalFormat.HEADER) {
                                ch.truncate(0);
                                ch.write(ByteBuffer.wrap(WalFormat.MAGIC), 0);
                                valid = WalFormat.HEADER;
                            } else {
                                ch.truncate(valid);
                            }
                            ch.force(true);
                            cut = size - valid;
                        }
                    } else {
                        problems.add(what + " (damage inside the log: those records are lost)");
                        LOG.error("write-ahead log: {}", problems.get(problems.size() - 1));
                    }
                }
                if (last) {
                    end = Math.max(valid, WalFormat.HEADER);
                }
            }
        }
        return new ScanResult(all.isEmpty() ? 0 : all.get(all.size() - 1), end, cut, problems);
    }

    /** Visits the valid records of one segment; returns the offset after the last one. */
    private static long scanSegment(int segment, FileChannel ch, Visitor visitor, AsciiInterner keys, long start,
                                    long stop) throws IOException {
        ByteBuffer magic = ByteBuffer.allocate(WalFormat.HEADER);
        readFully(ch, magic, 0);
        if (magic.position() < WalFormat.HEADER || !Arrays.equals(magic.array(), WalFormat.MAGIC)) {
            return 0;
        }
        ByteBuffer buf = ByteBuffer.allocate(WINDOW);
        buf.limit(0);
        long fileRead = start; // file offset of the byte after what buf holds
        long offset = start;   // file offset of buf's position
        while (offset < stop) {
            if (buf.remaining() < WalFormat.HEADER) {
                fileRead = refill(ch, buf, fileRead, WalFormat.HEADER);
                if (buf.remaining() < WalFormat.HEADER) {
                    return offset;
                }
            }
            int length = WalFormat.payloadLength(buf);
            if (length < 0) {
                return offset;
            }
            int frame = WalFormat.HEADER + length;
            if (buf.remaining() < frame) {
                if (buf.capacity() < frame) {
                    ByteBuffer bigger = ByteBuffer.allocate(frame);
                    bigger.put(buf).flip();
                    buf = bigger;
                }
                fileRead = refill(ch, buf, fileRead, frame);
                if (buf.remaining() < frame) {
                    return offset;
                }
            }
            int crc = buf.getInt(buf.position() + 4);
            ByteBuffer payload = buf.slice(buf.position() + WalFormat.HEADER, length);
            WalRecord record = WalFormat.decode(crc, payload, keys);
            if (record == null) {
                return offset;
            }
            if (offset + frame > stop) {
                return offset; // a record across the bound: the bound is not a record's end
            }
            visitor.record(record, WalFormat.position(segment, offset));
            buf.position(buf.position() + frame);
            offset += frame;
        }
        return offset;
    }

    /** Whether every byte of {@code ch} from {@code from} to {@code to} is zero. */
    private static boolean zerosFrom(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        long at = from;
        while (at < to) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - at));
            int n = ch.read(buf, at);
            if (n <= 0) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (buf.get(i) != 0) {
                    return false;
                }
            }
            at += n;
        }
        return true;
    }

    /** Moves what is left to the front of {@code buf} and reads more; returns the new file read offset. */
    private static long refill(FileChannel ch, ByteBuffer buf, long fileRead, int need) throws IOException {
        buf.compact();
        while (buf.position() < need || buf.hasRemaining()) {
            int n = ch.read(buf, fileRead);
            if (n <= 0) {
                break;
            }
            fileRead += n;
        }
        buf.flip();
        return fileRead;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at + buf.position());
            if (n < 0) {
                return;
            }
        }
    }

    /** The record at {@code position} (from a scan or the writer). Blocking; reader threads only. */
    public WalRecord readAt(long position) throws IOException {
        int segment = WalFormat.segmentOf(position);
        long offset = WalFormat.offsetOf(position);
        FileChannel ch = channel(segment);
        ByteBuffer header = ByteBuffer.allocate(WalFormat.HEADER);
        readFully(ch, header, offset);
        header.flip();
        int length = header.remaining() < WalFormat.HEADER ? -1 : WalFormat.payloadLength(header);
        if (length < 0) {
            throw new IOException("no WAL record at segment " + segment + " offset " + offset);
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(ch, payload, offset + WalFormat.HEADER);
        payload.flip();
        WalRecord record = payload.remaining() < length ? null : WalFormat.decode(header.getInt(4), payload);
        if (record == null) {
            throw new IOException("damaged WAL record at segment " + segment + " offset " + offset);
        }
        return record;
    }

    private FileChannel channel(int segment) throws IOException {
        FileChannel ch = readers.get(segment);
        if (ch == null || !ch.isOpen()) {
            ch = FileChannel.open(path(segment), StandardOpenOption.READ);
            FileChannel raced = readers.putIfAbsent(segment, ch);
            if (raced != null && raced.isOpen()) {
                ch.close();
                ch = raced;
            } else if (raced != null) {
                readers.put(segment, ch);
            }
        }
        return ch;
    }

    /**
     * Watches an earlier (finished) segment: keeps a read descriptor open on it and remembers which file it is,
     * so that {@link #checkHeld} notices when it is deleted or replaced and can write it anew from the descriptor.
     */
    void hold(int segment) throws IOException {
        channel(segment);
        held.put(segment, fileKey(path(segment)));
    }

    /**
     * Checks every held segment: one that is no longer the file at its path (deleted, or replaced) is written anew
     * there from the descriptor still open on it (tmp file, forced, renamed). Returns the segments found so; an
     * empty list when all is well. Blocking; the writer thread.
     */
    List<Lost> checkHeld() {
        List<Lost> found = new ArrayList<>();
        for (Map.Entry<Integer, Object> e : held.entrySet()) {
            int segment = e.getKey();
            Path path = path(segment);
            Object now;
            try {
                now = fileKey(path);
            } catch (IOException missing) {
                now = null;
            }
            if (e.getValue().equals(now)) {
                continue;
            }
            String what = "segment " + path.getFileName() + " was " + (now == null ? "deleted" : "replaced")
                    + " while the server runs";
            try {
                restoreFrom(readers.get(segment), path);
                held.put(segment, fileKey(path));
                dropReader(segment);
                hold(segment);
                found.add(new Lost(segment, true, what + "; restored from the descriptor still open on it, "
                        + "nothing lost"));
            } catch (IOException | RuntimeException failed) {
                held.remove(segment);
                found.add(new Lost(segment, false, what + "; it could not be restored (" + failed + "): its "
                        + "records are lost for read-back and the next start"));
            }
        }
        return found;
    }

    /** A held segment that was no longer the file at its path; {@code what} says what happened, in a sentence. */
    record Lost(int segment, boolean restored, String what) {
    }

    private void restoreFrom(FileChannel source, Path path) throws IOException {
        if (source == null || !source.isOpen()) {
            throw new IOException("no descriptor open on it");
        }
        dev.improv.server.config.OwnerOnly.createDirectories(dir);
        Path tmp = path.resolveSibling(path.getFileName() + ".restore");
        long size = source.size();
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                dev.improv.server.config.OwnerOnly.file())) {
            long copied = 0;
            while (copied < size) {
                long n = source.transferTo(copied, size - copied, out);
                if (n <= 0) {
                    throw new IOException("copied " + copied + " of " + size + " bytes");
                }
                copied += n;
            }
            out.force(true);
        }
        Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        FileWalStorage.forceDirectory(dir);
    }

    private static Object fileKey(Path path) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(path,
                java.nio.file.attribute.BasicFileAttributes.class);
        return a.fileKey() != null ? a.fileKey() : a.creationTime();
    }

    /** Forgets the read channel of a segment (it is being deleted or was replaced). */
    void dropReader(int segment) {
        FileChannel ch = readers.remove(segment);
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a read-only channel
            }
        }
    }

    /** Stops watching a segment (retention deletes it). */
    void release(int segment) {
        held.remove(segment);
        dropReader(segment);
    }

    @Override
    public void close() {
        held.clear();
        for (Integer s : List.copyOf(readers.keySet())) {
            dropReader(s);
        }
    }
}
