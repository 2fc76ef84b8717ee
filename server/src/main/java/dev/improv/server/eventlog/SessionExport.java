package dev.improv.server.eventlog;

import dev.improv.server.config.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a closed session's per-session files, the export format readers know: {@code events.jsonl} (the stored
 * event bytes, one per line, exactly as the log holds them) and {@code meta.json}. Each is written to a temporary
 * file, forced, and renamed, so a crash leaves the old state or the new one, never half a file. Blocking I/O. The
 * node's log exports its closed sessions with it, and a cluster node the sessions it closed in the stream.
 */
public final class SessionExport {
    private static final int BUFFER = 256 * 1024;

    private SessionExport() {
    }

    /** Feeds every event of the session to a sink. */
    @FunctionalInterface
    public interface Source {
        void events(WriteAheadLog.EventSink sink) throws IOException;
    }

    public static void write(SessionFiles files, String sessionId, byte[] metaJson, boolean sync, Source events)
            throws IOException {
        Path dir = files.dir(sessionId);
        boolean newDir = !Files.isDirectory(dir);
        OwnerOnly.createDirectories(dir);
        Path tmp = dir.resolve(SessionFiles.EVENTS + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file())) {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            events.events((seq, bytes) -> {
                if (buf.remaining() < bytes.length + 1) {
                    drain(out, buf);
                }
                if (bytes.length + 1 > buf.capacity()) {
                    out.write(ByteBuffer.wrap(bytes));
                    out.write(ByteBuffer.wrap(new byte[] {'\n'}));
                } else {
                    buf.put(bytes).put((byte) '\n');
                }
            });
            drain(out, buf);
            if (sync) {
                out.force(true);
            }
        }
        move(tmp, dir.resolve(SessionFiles.EVENTS));
        writeMeta(dir, metaJson, sync);
        if (sync) {
            FileWalStorage.forceDirectory(dir);
            if (newDir) {
                FileWalStorage.forceDirectory(files.root());
            }
        }
    }

    /** Replaces {@code meta.json} atomically with {@code json} (pretty-printed when it is a SessionMeta). */
    static void writeMeta(Path dir, byte[] json, boolean sync) throws IOException {
        byte[] pretty = json;
        try {
            pretty = dev.improv.server.protocol.ProtocolCodec.mapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(dev.improv.server.protocol.ProtocolCodec.mapper().readTree(json));
        } catch (IOException e) {
            // keep the bytes as they are
        }
        Path tmp = dir.resolve(SessionFiles.META + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file())) {
            ByteBuffer bytes = ByteBuffer.wrap(pretty);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            if (sync) {
                out.force(true);
            }
        }
        move(tmp, dir.resolve(SessionFiles.META));
    }

    private static void drain(FileChannel out, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
