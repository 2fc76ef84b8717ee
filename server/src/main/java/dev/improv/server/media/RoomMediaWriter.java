package dev.improv.server.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes all media files of one room session. Producers (WebRTC's audio thread, the control
 * thread) call {@link #offer} and never block: when the bounded queue is full a chunk is dropped and counted,
 * and the gap shows up as filled silence in the file. Commands are applied in order.
 */
final class RoomMediaWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoomMediaWriter.class);
    /** About 20 s of audio for 8 performers (10 ms chunks). */
    static final int QUEUE_CAPACITY = 16_384;
    private static final Object STOP = new Object();

    private final Path dir;
    private final String roomId;
    private final ClockSource clock;
    private final ObjectMapper json = new ObjectMapper();
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    /** Writer thread only. */
    private final Map<String, TrackFiles> tracks = new HashMap<>();
    /** Writer thread only: files closed so far per participant; a later stream opens a new segment. */
    private final Map<String, Integer> closedSegments = new HashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    /** What the writer needs of the recorder's clock for file headers. */
    interface ClockSource {
        long offsetMicros();

        long rttMicros();
    }

    private record Checkpoint() {
    }

    private record CloseTrack(String participantId) {
    }

    RoomMediaWriter(Path dir, String roomId, ClockSource clock) {
        this.dir = dir;
        this.roomId = roomId;
        this.clock = clock;
        this.thread = new Thread(this::run, "media-writer-" + roomId);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a chunk; never blocks. */
    void offer(AudioChunk chunk) {
        if (!queue.offer(chunk)) {
            if (dropped.incrementAndGet() % 100 == 1) {
                LOG.warn("room {}: media writer queue full, {} chunks dropped so far", roomId, dropped.get());
            }
        }
    }

    /** Patches headers and flushes every file (scene end). */
    void checkpoint() {
        queue.offer(new Checkpoint());
    }

    /** Closes one performer's files (the performer left the room). */
    void closeTrack(String participantId) {
        queue.offer(new CloseTrack(participantId));
    }

    long dropped() {
        return dropped.get();
    }

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
                try {
                    apply(item);
                } catch (IOException | RuntimeException e) {
                    LOG.error("room {}: media write failed", roomId, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (TrackFiles t : tracks.values()) {
                try {
                    t.close();
                } catch (IOException | RuntimeException e) {
                    LOG.error("room {}: closing media files of {} failed", roomId, t.participantId(), e);
                }
            }
            tracks.clear();
            finished.complete(null);
        }
    }

    private void apply(Object item) throws IOException {
        if (item instanceof AudioChunk chunk) {
            TrackFiles t = tracks.get(chunk.participantId());
            if (t == null) {
                int closed = closedSegments.getOrDefault(chunk.participantId(), 0);
                String base = closed == 0 ? chunk.participantId() : chunk.participantId() + ".seg" + (closed + 1);
                t = new TrackFiles(dir, chunk.participantId(), base, json, clock.offsetMicros(), clock.rttMicros());
                tracks.put(chunk.participantId(), t);
                LOG.info("room {}: recording {} to {}", roomId, chunk.participantId(), dir);
            }
            t.append(chunk);
        } else if (item instanceof Checkpoint) {
            for (TrackFiles t : tracks.values()) {
                t.checkpoint();
            }
        } else if (item instanceof CloseTrack c) {
            TrackFiles t = tracks.remove(c.participantId());
            if (t != null) {
                closedSegments.merge(c.participantId(), 1, Integer::sum);
                t.close();
            }
        }
    }

    /** Drains what is queued, closes every file, waits at most {@code timeoutMs}. */
    @Override
    public void close() {
        close(5_000);
    }

    void close(long timeoutMs) {
        try {
            if (!queue.offer(STOP, timeoutMs, TimeUnit.MILLISECONDS)) {
                thread.interrupt();
            }
            finished.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("room {}: media writer did not finish in {} ms", roomId, timeoutMs);
            thread.interrupt();
        }
    }
}
