package dev.improv.server.eventlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real files underneath, with counters and a switch that makes the disk "full": while failing, a write puts half
 * its bytes on disk and then throws (the worst case for torn lines), and force and open throw.
 */
final class FaultyStorage implements LogStorage {
    final AtomicBoolean failing = new AtomicBoolean();
    /** Writes work, fsync fails (what a dying disk or a full thin volume can do). */
    final AtomicBoolean failingForce = new AtomicBoolean();
    /** When set, force() waits for it: lets a test pile up events while a batch is being forced. */
    volatile java.util.concurrent.CountDownLatch forceGate;
    final AtomicInteger forcesEntered = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    private final FileLogStorage real;

    FaultyStorage(Path dataDir) {
        this.real = new FileLogStorage(new SessionFiles(dataDir));
    }

    @Override
    public EventFile openEvents(String sessionId) throws IOException {
        failIfFailing();
        EventFile file = real.openEvents(sessionId);
        return new EventFile() {
            @Override
            public long size() throws IOException {
                return file.size();
            }

            @Override
            public void truncate(long size) throws IOException {
                file.truncate(size);
            }

            @Override
            public void write(ByteBuffer bytes) throws IOException {
                if (failing.get()) {
                    ByteBuffer half = bytes.duplicate();
                    half.limit(half.position() + half.remaining() / 2);
                    file.write(half);
                    failIfFailing();
                }
                writes.incrementAndGet();
                file.write(bytes);
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
                file.force();
            }

            @Override
            public void close() throws IOException {
                file.close();
            }
        };
    }

    @Override
    public void writeMeta(String sessionId, byte[] json, boolean sync) throws IOException {
        failIfFailing();
        real.writeMeta(sessionId, json, sync);
    }

    private void failIfFailing() throws IOException {
        if (failing.get()) {
            failures.incrementAndGet();
            throw new IOException("No space left on device");
        }
    }
}
