package dev.improv.server.eventlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real segment files underneath, with counters and a switch that makes the disk "full": while failing, a write puts
 * half its bytes on disk and then throws (the worst case for torn records), and force and restore throw.
 */
final class FaultyStorage implements WalStorage {
    final AtomicBoolean failing = new AtomicBoolean();
    /** Writes work, fsync fails (what a dying disk or a full thin volume can do). */
    final AtomicBoolean failingForce = new AtomicBoolean();
    /** When set, force() waits for it: lets a test pile up records while a batch is being forced. */
    volatile java.util.concurrent.CountDownLatch forceGate;
    final AtomicInteger forcesEntered = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    final WalSegments segments;
    private final FileWalStorage real;

    FaultyStorage(Path dataDir) {
        this.segments = new WalSegments(dataDir);
        this.real = new FileWalStorage(segments);
    }

    @Override
    public void openAppend(int segment, long offset) throws IOException {
        real.openAppend(segment, offset);
    }

    @Override
    public int segment() {
        return real.segment();
    }

    @Override
    public long offset() {
        return real.offset();
    }

    @Override
    public void write(ByteBuffer bytes) throws IOException {
        if (failing.get()) {
            ByteBuffer half = bytes.duplicate();
            half.limit(half.position() + half.remaining() / 2);
            real.write(half);
            failIfFailing();
        }
        writes.incrementAndGet();
        real.write(bytes);
    }

    @Override
    public void force() throws IOException {
        forcesEntered.incrementAndGet();
        java.util.concurrent.CountDownLatch gate = forceGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        failIfFailing();
        if (failingForce.get()) {
            failures.incrementAndGet();
            throw new IOException("Input/output error");
        }
        forces.incrementAndGet();
        real.force();
    }

    @Override
    public void roll() throws IOException {
        failIfFailing();
        real.roll();
    }

    @Override
    public void checkIntact() throws IOException {
        real.checkIntact();
    }

    @Override
    public void restore(long committed) throws IOException {
        failIfFailing();
        real.restore(committed);
    }

    @Override
    public void close() throws IOException {
        real.close();
    }

    private void failIfFailing() throws IOException {
        if (failing.get()) {
            failures.incrementAndGet();
            throw new IOException("No space left on device");
        }
    }
}
