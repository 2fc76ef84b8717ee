package dev.improv.server.media;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns a room's media files of one kind and applies queued work in order. Producers never
 * block. Data items (audio chunks, frames) are bounded: beyond {@code capacity} queued ones a new item is dropped
 * and counted. Commands (checkpoint, close a track, stop) are never dropped: they share the queue, so they apply
 * in order after the data queued before them, and there are only a few per track and scene. {@link #close}
 * drains what is queued and waits a bounded time. Subclasses call {@link #start()} at the end of their
 * constructor, once their own fields exist.
 */
abstract class MediaWriterThread implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MediaWriterThread.class);
    private static final Object STOP = new Object();

    protected final String roomId;
    private final String what;
    /** Data items and commands in arrival order; any thread offers, the writer thread takes. */
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    /** Data items in {@link #queue} now (commands not counted); bounded by {@link #capacity}. */
    private final AtomicInteger queuedData = new AtomicInteger();
    private final int capacity;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    /**
     * @param what     for logs: "media", "video"
     * @param capacity queued data items at most
     */
    MediaWriterThread(String threadName, String roomId, String what, int capacity) {
        this.roomId = roomId;
        this.what = what;
        this.capacity = capacity;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    protected final void start() {
        thread.start();
    }

    /**
     * Queues a data item without blocking; false (counted, logged every {@code logEvery}) when {@code capacity}
     * data items are already queued.
     */
    protected final boolean enqueue(Object item, int logEvery) {
        if (queuedData.incrementAndGet() <= capacity) {
            queue.add(new Data(item));
            return true;
        }
        queuedData.decrementAndGet();
        if (dropped.incrementAndGet() % logEvery == 1) {
            LOG.warn("room {}: {} writer queue full, {} items dropped so far", roomId, what, dropped.get());
        }
        return false;
    }

    /** Queues a command (checkpoint, close a track) without blocking; never dropped, applied in order. */
    protected final void command(Object item) {
        queue.add(item);
    }

    /** Marks a data item in the queue, so that taking it frees a place. */
    private record Data(Object item) {
    }

    long dropped() {
        return dropped.get();
    }

    /** Applies one queued item; writer thread only. */
    protected abstract void apply(Object item) throws IOException;

    /** Closes every file; writer thread only, once, after the last item. */
    protected abstract void closeFiles();

    private void run() {
        try {
            while (true) {
                Object item = queue.poll(1, TimeUnit.SECONDS);
                if (item == null) {
                    continue;
                }
                if (item == STOP) {
                    break;
                }
                if (item instanceof Data d) {
                    queuedData.decrementAndGet();
                    item = d.item();
                }
                try {
                    apply(item);
                } catch (IOException | RuntimeException e) {
                    LOG.error("room {}: {} write failed", roomId, what, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeFiles();
            finished.complete(null);
        }
    }

    /** Drains what is queued, closes every file, waits at most 5 s. */
    @Override
    public void close() {
        close(5_000);
    }

    void close(long timeoutMs) {
        try {
            queue.add(STOP);
            finished.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("room {}: {} writer did not finish in {} ms", roomId, what, timeoutMs);
            thread.interrupt();
        }
    }
}
