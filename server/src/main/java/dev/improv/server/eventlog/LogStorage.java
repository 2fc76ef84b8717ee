package dev.improv.server.eventlog;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The file operations of the session log writer, behind an interface so that tests can count fsyncs and make the
 * disk fail on demand. {@link FileLogStorage} is the real one. Only the writer thread calls these methods, except
 * {@link #readEvents}.
 */
public interface LogStorage {
    /**
     * Opens (creating when needed) the event file of a session for appending. An existing file is handed back
     * ending in a complete line: a torn last line (left by a crash) is cut off first.
     */
    EventFile openEvents(String sessionId) throws IOException;

    /** Replaces the session's metadata file atomically (temporary file, rename); forces both when {@code sync}. */
    void writeMeta(String sessionId, byte[] json, boolean sync) throws IOException;

    /**
     * Reads the complete events with seq in [fromSeq, toSeqExclusive) back, as the bytes of each line. Called on
     * the writer's reader thread, never the writer thread; the file may be growing meanwhile (only complete lines
     * count).
     */
    default List<byte[]> readEvents(String sessionId, long fromSeq, long toSeqExclusive) throws IOException {
        throw new IOException("this storage cannot read events back");
    }

    /** One open event file. Writes always go to the end. */
    interface EventFile extends Closeable {
        long size() throws IOException;

        /** Cuts the file to {@code size} bytes; the next write goes there. */
        void truncate(long size) throws IOException;

        /** Writes every remaining byte of {@code bytes} at the end of the file. */
        void write(ByteBuffer bytes) throws IOException;

        /** Forces written bytes to the storage device (fdatasync). */
        void force() throws IOException;
    }
}
