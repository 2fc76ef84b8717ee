package dev.improv.server.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The one thread ({@code media-video-<room>}) that turns the sampled video frames of one room session into
 * JPEG files: {@code <pid>.video/<frame>.jpg} plus one line per stored frame in {@code <pid>.video.jsonl}.
 * Separate from the audio writer so that a slow JPEG encode never delays audio. Producers (WebRTC's video
 * threads) call {@link #offer} and never block: the queue holds {@link #QUEUE_CAPACITY} frames; a full queue
 * drops the frame and counts it ({@link #dropped()}). Frame numbers stay consecutive over what was stored; a
 * drop shows as a larger step of {@code serverUs} between two lines.
 */
final class VideoFrameWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VideoFrameWriter.class);
    /** About 2 s of frames for 8 performers at 2 fps; each queued 640×480 frame holds ~460 kB. */
    static final int QUEUE_CAPACITY = 32;
    static final float JPEG_QUALITY = 0.85f;
    private static final Object STOP = new Object();

    /** One sampled frame: {@code serverUs} is the estimated server time it was captured at the performer. */
    record Frame(String participantId, I420Image image, int rotation, long serverUs, long latencyUs, int stream) {
    }

    private record CloseTrack(String participantId) {
    }

    private final Path dir;
    private final String roomId;
    private final ObjectMapper json = new ObjectMapper();
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong stored = new AtomicLong();
    /** Writer thread only. */
    private final Map<String, Track> tracks = new HashMap<>();
    private final Map<String, Integer> closedSegments = new HashMap<>();
    private final Thread thread;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    VideoFrameWriter(Path dir, String roomId) {
        this.dir = dir;
        this.roomId = roomId;
        this.thread = new Thread(this::run, "media-video-" + roomId);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a frame; never blocks. Returns false when it was dropped (queue full or closed). */
    boolean offer(Frame frame) {
        if (queue.offer(frame)) {
            return true;
        }
        if (dropped.incrementAndGet() % 20 == 1) {
            LOG.warn("room {}: video writer queue full, {} frames dropped so far", roomId, dropped.get());
        }
        return false;
    }

    void closeTrack(String participantId) {
        queue.offer(new CloseTrack(participantId));
    }

    long dropped() {
        return dropped.get();
    }

    long stored() {
        return stored.get();
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
                    LOG.error("room {}: video write failed", roomId, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            tracks.values().forEach(Track::closeQuietly);
            tracks.clear();
            if (stored.get() > 0 || dropped.get() > 0) {
                LOG.info("room {}: video frames stored {}, dropped {}", roomId, stored.get(), dropped.get());
            }
            finished.complete(null);
        }
    }

    private void apply(Object item) throws IOException {
        if (item instanceof Frame f) {
            Track t = tracks.get(f.participantId());
            if (t == null) {
                int closed = closedSegments.getOrDefault(f.participantId(), 0);
                String base = closed == 0 ? f.participantId() : f.participantId() + ".seg" + (closed + 1);
                t = new Track(base);
                tracks.put(f.participantId(), t);
            }
            t.write(f);
            stored.incrementAndGet();
        } else if (item instanceof CloseTrack c) {
            Track t = tracks.remove(c.participantId());
            if (t != null) {
                closedSegments.merge(c.participantId(), 1, Integer::sum);
                t.closeQuietly();
            }
        }
    }

    /** The files of one performer (one segment). Writer thread only. */
    private final class Track {
        private final String base;
        private final Path frames;
        private final BufferedWriter index;
        private long next;

        Track(String base) throws IOException {
            this.base = base;
            this.frames = dir.resolve(base + ".video");
            Files.createDirectories(frames);
            this.index = Files.newBufferedWriter(dir.resolve(base + ".video.jsonl"), StandardCharsets.UTF_8);
        }

        void write(Frame f) throws IOException {
            long n = next++;
            String name = n + ".jpg";
            Files.write(frames.resolve(name), f.image().toJpeg(JPEG_QUALITY));
            index.write(json.writeValueAsString(json.createObjectNode().put("frame", n)
                    .put("file", base + ".video/" + name).put("serverUs", f.serverUs())
                    .put("width", f.image().width()).put("height", f.image().height())
                    .put("rotation", f.rotation()).put("latencyUs", f.latencyUs()).put("stream", f.stream())));
            index.write('\n');
            index.flush(); // a line per stored frame (a few per second): cheap, and a crash loses no index line
        }

        void closeQuietly() {
            try {
                index.close();
            } catch (IOException e) {
                LOG.warn("room {}: closing {}.video.jsonl failed", roomId, base, e);
            }
        }
    }

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
            LOG.warn("room {}: video writer did not finish in {} ms", roomId, timeoutMs);
            thread.interrupt();
        }
    }
}
