package dev.improv.server.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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
final class VideoFrameWriter extends MediaWriterThread {
    private static final Logger LOG = LoggerFactory.getLogger(VideoFrameWriter.class);
    /** About 2 s of frames for 8 performers at 2 fps; each queued 640×480 frame holds ~460 kB. */
    static final int QUEUE_CAPACITY = 32;
    static final float JPEG_QUALITY = 0.85f;

    /** One sampled frame: {@code serverUs} is the estimated server time it was captured at the performer. */
    record Frame(String participantId, I420Image image, int rotation, long serverUs, long latencyUs, int stream) {
    }

    private record CloseTrack(String participantId) {
    }

    private final Path dir;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong stored = new AtomicLong();
    /** Writer thread only. */
    private final Map<String, Track> tracks = new HashMap<>();
    private final Map<String, Integer> closedSegments = new HashMap<>();

    VideoFrameWriter(Path dir, String roomId) {
        super("media-video-" + roomId, roomId, "video", QUEUE_CAPACITY);
        this.dir = dir;
        start();
    }

    /** Queues a frame; never blocks. Returns false when it was dropped (queue full or closed). */
    boolean offer(Frame frame) {
        return enqueue(frame, 20);
    }

    void closeTrack(String participantId) {
        command(new CloseTrack(participantId));
    }

    long stored() {
        return stored.get();
    }

    @Override
    protected void closeFiles() {
        tracks.values().forEach(Track::closeQuietly);
        tracks.clear();
        if (stored.get() > 0 || dropped() > 0) {
            LOG.info("room {}: video frames stored {}, dropped {}", roomId, stored.get(), dropped());
        }
    }

    @Override
    protected void apply(Object item) throws IOException {
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
}
