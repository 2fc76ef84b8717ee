package dev.improv.server.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes all media files of one room session. Producers (WebRTC's audio thread, the control
 * thread) call {@link #offer} and never block: when the bounded queue is full a chunk is dropped and counted,
 * and the gap shows up as filled silence in the file. Commands are applied in order.
 */
final class RoomMediaWriter extends MediaWriterThread {
    private static final Logger LOG = LoggerFactory.getLogger(RoomMediaWriter.class);
    /** About 20 s of audio for 8 performers (10 ms chunks). */
    static final int QUEUE_CAPACITY = 16_384;

    private final Path dir;
    private final ClockSource clock;
    private final ObjectMapper json = new ObjectMapper();
    /** Writer thread only. */
    private final Map<String, TrackFiles> tracks = new HashMap<>();
    /** Writer thread only: files closed so far per participant; a later stream opens a new segment. */
    private final Map<String, Integer> closedSegments = new HashMap<>();

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
        super("media-writer-" + roomId, roomId, "media", QUEUE_CAPACITY);
        this.dir = dir;
        this.clock = clock;
        start();
    }

    /** Queues a chunk; never blocks. */
    void offer(AudioChunk chunk) {
        enqueue(chunk, 100);
    }

    /** Patches headers and flushes every file (scene end). */
    void checkpoint() {
        command(new Checkpoint());
    }

    /** Closes one performer's files (the performer left the room). */
    void closeTrack(String participantId) {
        command(new CloseTrack(participantId));
    }

    @Override
    protected void closeFiles() {
        for (TrackFiles t : tracks.values()) {
            try {
                t.close();
            } catch (IOException | RuntimeException e) {
                LOG.error("room {}: closing media files of {} failed", roomId, t.participantId(), e);
            }
        }
        tracks.clear();
    }

    @Override
    protected void apply(Object item) throws IOException {
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
}
