package dev.improv.server.eventlog;

import dev.improv.server.config.OwnerOnly;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The start-up fold ({@link WalRecovery}) as of a log position, in one file, {@code <dataDir>/wal/checkpoint}: a
 * start reads it and scans only the log after the position it covers, instead of every segment from the first.
 * <pre>
 *   8 bytes  "IMPCKP2\n" (a version-1 checkpoint is of another format: ignored, the log scanned)
 *   body     covered position (int64: the end of the last record folded), that record's position (int64) and
 *            frame checksum (int32), records folded (int64), then the fold: problems, segment uses (sessions, and
 *            each pool's last record there), pools' last two snapshot positions, pools (their facts' stored
 *            bytes from the last readable snapshot on, in order), sessions (opening record, reservation, index, room fold)
 *   int64    body length
 *   int32    CRC-32C of the body
 * </pre>
 * Written to {@code checkpoint.tmp}, forced, renamed over the previous one, the folder forced: a crash leaves the
 * old or the new one whole. On load it is ignored (and the whole log scanned, as without it) when it is torn (the
 * length or checksum does not match), of another format, or stale: the record it names as its last is not at that
 * position of the log with that checksum (the segment was cut shorter, deleted by retention, or replaced).
 * Stateless; the caller's thread.
 */
final class WalCheckpoint {
    static final String FILE = "checkpoint";
    /** Version 2: segment uses name each pool's last record, and pools' snapshot positions are kept. */
    private static final byte[] MAGIC = {'I', 'M', 'P', 'C', 'K', 'P', '2', '\n'};
    private static final int BUFFER = 1 << 16;

    private WalCheckpoint() {
    }

    /** A checkpoint read back: the fold, and the log position after the last record it holds. */
    record Loaded(WalRecovery fold, long covered) {
    }

    static Path path(WalSegments segments) {
        return segments.dir().resolve(FILE);
    }

    /**
     * Writes {@code fold} as covering the log up to {@code covered}, the end of the record at {@code lastRecord}.
     * Blocking file I/O: the log's checkpoint thread, or the start before rooms exist.
     */
    static void write(WalSegments segments, WalRecovery fold, long lastRecord, long covered) throws IOException {
        int crcOfLast = frameCrc(segments, lastRecord, covered);
        Path target = path(segments);
        Path tmp = target.resolveSibling(FILE + ".tmp");
        OwnerOnly.createDirectories(segments.dir());
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file())) {
            OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER);
            raw.write(MAGIC);
            CountingCrc body = new CountingCrc(raw);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(body, BUFFER));
            out.writeLong(covered);
            out.writeLong(lastRecord);
            out.writeInt(crcOfLast);
            fold.writeState(out);
            out.flush();
            DataOutputStream trailer = new DataOutputStream(raw);
            trailer.writeLong(body.count);
            trailer.writeInt((int) body.crc.getValue());
            trailer.flush();
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        FileWalStorage.forceDirectory(segments.dir());
    }

    /**
     * The checkpoint of this log, or null when there is none or it cannot be used ({@code why} says why, in a
     * sentence, for the server log). Blocking file I/O.
     */
    static Loaded load(WalSegments segments, StringBuilder why) {
        Path p = path(segments);
        try {
            byte[] all = Files.readAllBytes(p); // the fold's state, not the log: a few bytes per event of open rooms
            int trailer = 8 + 4;
            if (all.length < MAGIC.length + trailer || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                why.append("checkpoint ").append(p).append(" is not a checkpoint of this format");
                return null;
            }
            ByteBuffer end = ByteBuffer.wrap(all, all.length - trailer, trailer);
            long length = end.getLong();
            int stored = end.getInt();
            CRC32C crc = new CRC32C();
            if (length != all.length - MAGIC.length - trailer) {
                why.append("checkpoint ").append(p).append(" is torn (its length does not match)");
                return null;
            }
            crc.update(all, MAGIC.length, (int) length);
            if ((int) crc.getValue() != stored) {
                why.append("checkpoint ").append(p).append(" is torn (its checksum does not match)");
                return null;
            }
            ByteBufferInput in = new ByteBufferInput(ByteBuffer.wrap(all, MAGIC.length, (int) length).slice());
            long covered = in.readLong();
            long lastRecord = in.readLong();
            int crcOfLast = in.readInt();
            String stale = stale(segments, lastRecord, covered, crcOfLast);
            if (stale != null) {
                why.append("checkpoint ").append(p).append(" is stale: ").append(stale);
                return null;
            }
            WalRecovery fold = WalRecovery.readState(in);
            fold.lastPosition = lastRecord;
            fold.coveredTo = covered;
            if (in.remaining() != 0) {
                why.append("checkpoint ").append(p).append(" has bytes after its state");
                return null;
            }
            return new Loaded(fold, covered);
        } catch (NoSuchFileException e) {
            return null;
        } catch (EOFException e) {
            why.append("checkpoint ").append(p).append(" ends inside its state");
            return null;
        } catch (IOException | RuntimeException e) {
            why.append("checkpoint ").append(p).append(" is unreadable (").append(e).append(")");
            return null;
        }
    }

    /** Why the log does not hold the checkpoint's last record where it says, or null when it does. */
    private static String stale(WalSegments segments, long lastRecord, long covered, int crcOfLast) {
        if (WalFormat.segmentOf(lastRecord) != WalFormat.segmentOf(covered)) {
            return "its last record is not in the segment it covers";
        }
        try {
            int crc = frameCrc(segments, lastRecord, covered);
            return crc == crcOfLast ? null : "the log holds another record at its position";
        } catch (NoSuchFileException e) {
            return "segment " + segments.path(WalFormat.segmentOf(covered)).getFileName() + " is gone";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /**
     * The checksum field of the whole, valid frame at {@code position} that ends at {@code end}; an
     * {@link IOException} when there is none.
     */
    private static int frameCrc(WalSegments segments, long position, long end) throws IOException {
        try (FileChannel ch = FileChannel.open(segments.path(WalFormat.segmentOf(position)),
                StandardOpenOption.READ)) {
            long offset = WalFormat.offsetOf(position);
            ByteBuffer header = ByteBuffer.allocate(WalFormat.HEADER);
            while (header.hasRemaining() && ch.read(header, offset + header.position()) > 0) {
                // read on
            }
            header.flip();
            int length = header.remaining() < WalFormat.HEADER ? -1 : WalFormat.payloadLength(header);
            if (length < 0 || offset + WalFormat.HEADER + length != WalFormat.offsetOf(end)) {
                throw new IOException("no record ends at offset " + WalFormat.offsetOf(end));
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            while (payload.hasRemaining() && ch.read(payload, offset + WalFormat.HEADER + payload.position()) > 0) {
                // read on
            }
            payload.flip();
            int crc = header.getInt(4);
            if (payload.remaining() < length || WalFormat.decode(crc, payload) == null) {
                throw new IOException("the record at offset " + offset + " is damaged");
            }
            return crc;
        }
    }

    /** Counts and checksums what goes through. */
    private static final class CountingCrc extends CheckedOutputStream {
        final CRC32C crc;
        long count;

        CountingCrc(OutputStream out) {
            this(out, new CRC32C());
        }

        private CountingCrc(OutputStream out, CRC32C crc) {
            super(out, crc);
            this.crc = crc;
        }

        @Override
        public void write(int b) throws IOException {
            super.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            super.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            // the caller closes the file
        }
    }
}
