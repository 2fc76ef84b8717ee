package dev.improv.server.eventlog;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The file operations of the write-ahead log writer, behind an interface so that tests can count fsyncs and make
 * the disk fail on demand. {@link FileWalStorage} is the real one. Writer thread only.
 */
public interface WalStorage extends Closeable {
    /** Starts appending to segment {@code segment} at {@code offset} (after a scan); creates segment 1 if 0. */
    void openAppend(int segment, long offset) throws IOException;

    /** Number of the segment being appended to. */
    int segment();

    /** Offset in that segment where the next write goes. */
    long offset();

    /** Writes every remaining byte at {@link #offset()}. */
    void write(ByteBuffer bytes) throws IOException;

    /** Forces written bytes to the device (fdatasync). */
    void force() throws IOException;

    /** Forces and closes the current segment and starts the next one (its header forced, its folder too). */
    void roll() throws IOException;

    /**
     * Fails when the segment being appended to is no longer the file at its path (deleted, unlinked, replaced):
     * Linux lets a process write on into a deleted file, so only this check notices.
     */
    void checkIntact() throws IOException;

    /**
     * After a failure: makes the current segment hold exactly its first {@code committed} bytes again — cuts
     * half-written bytes off, or, when the file vanished, writes it anew at its path from the descriptor still
     * open (so nothing acknowledged is lost) and forces it.
     */
    void restore(long committed) throws IOException;
}
