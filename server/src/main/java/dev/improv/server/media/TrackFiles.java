package dev.improv.server.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three files of one performer in one session: {@code <pid>.wav}, {@code <pid>.sync.jsonl} and
 * {@code <pid>.vad.jsonl}, and the sample-clock estimation that ties them to server time.
 *
 * <p>Timing: every chunk gives an estimate of the server time of sample 0 of the file, {@code origin =
 * (arrivalServerUs - latencyUs) - firstSampleOfChunk / 48 kHz}. Late deliveries (scheduling) only make it
 * larger, so the smallest estimate of each one-second window is kept and written as a sync point. A chunk that
 * arrives more than {@link #GAP_US} later than the current mapping expects means the stream stopped (performer
 * reconnecting, network cut): the gap is filled with silence so that the file stays on the server timeline,
 * and a sync point is written right after it. A VAD frame is written once the sync point after it is: its time is
 * interpolated between the two points around it, as {@link SampleTimeline} reads the file.
 *
 * <p>The samples pass through a {@link DriftCorrector} first: the headless audio device pulls slower than real
 * time, and the corrector resamples each stream so that the file's sample count follows the server clock
 * (arrival times). Everything after it (file, VAD, sync points, gap detection) counts written samples, so the sync
 * points describe the corrected file and their slope is nominal up to changes of the latency estimate. A gap or
 * a new stream flushes the corrector and starts it again at the file's new end. Writer thread only.
 */
final class TrackFiles implements AutoCloseable {
    static final int RATE = 48_000;
    static final long SYNC_EVERY_SAMPLES = RATE;
    static final long GAP_US = 200_000;
    static final long MAX_GAP_FILL_US = 30L * 60 * 1_000_000;

    private final String participantId;
    private final ObjectMapper json;
    private final WavWriter wav;
    private final BufferedWriter sync;
    private final BufferedWriter vadOut;
    private final VoiceActivityDetector vad;
    private final DriftCorrector corrector;
    private final List<VoiceActivityDetector.Frame> vadPending = new ArrayList<>();

    private long lastSyncSample = -1;
    private long lastSyncServerUs;
    /** The point before the last one, or -1: a frame that straddles the last point starts between these two. */
    private long olderSyncSample = -1;
    private long olderSyncServerUs;
    private long windowMinOrigin = Long.MAX_VALUE;
    private long windowStart;
    private int stream = -1;
    private long firstArrivalUs = -1;
    private long lastArrivalUs;
    private long lastChunkSamples;
    private long gapsFilledSamples;
    private long leadingSilenceSkipped;
    /** The stream whose leading digital silence is being skipped (until its first sound), or -1. */
    private int skippingStream = -1;
    private long latencyUs;

    TrackFiles(Path dir, String participantId, String baseName, ObjectMapper json, long clockOffsetUs,
               long clockRttUs) throws IOException {
        this.participantId = participantId;
        this.json = json;
        Files.createDirectories(dir);
        this.wav = new WavWriter(dir.resolve(baseName + ".wav"), RATE, 1);
        this.sync = Files.newBufferedWriter(dir.resolve(baseName + ".sync.jsonl"), StandardCharsets.UTF_8);
        this.vadOut = Files.newBufferedWriter(dir.resolve(baseName + ".vad.jsonl"), StandardCharsets.UTF_8);
        this.vad = new VoiceActivityDetector(this::onVadFrame);
        this.corrector = new DriftCorrector(this::writeCorrected, 0);
        ObjectNode header = json.createObjectNode().put("kind", "header").put("participantId", participantId)
                .put("sampleRate", RATE).put("channels", 1).put("format", "pcm_s16le")
                .put("clockOffsetUs", clockOffsetUs).put("clockRttUs", clockRttUs);
        line(sync, header);
    }

    void append(AudioChunk chunk) throws IOException {
        long n = chunk.samples().length;
        if (n == 0) {
            return;
        }
        // A remote track plays out digital silence from the moment it exists, before its connection delivers
        // anything (issue 17: 0.2-0.8 s at the start of each file, placed before the connection existed): a
        // stream's leading silence is not recorded. The file starts with its first sound, the sync points place
        // it by its arrival, and a later stream's start is a gap filled by time as before.
        if (chunk.stream() != stream && chunk.stream() != skippingStream) {
            skippingStream = chunk.stream();
        }
        if (skippingStream == chunk.stream()) {
            if (silent(chunk.samples())) {
                leadingSilenceSkipped += n;
                return;
            }
            skippingStream = -1;
            if (leadingSilenceSkipped > 0) {
                vad.backgroundWasSilence();
            }
        }
        latencyUs = chunk.latencyUs();
        long chunkServerUs = chunk.arrivalServerUs() - chunk.latencyUs();
        if (firstArrivalUs < 0) {
            firstArrivalUs = chunk.arrivalServerUs();
        }
        lastArrivalUs = chunk.arrivalServerUs();
        lastChunkSamples = n;
        // the file index this chunk's first sample lands on once the corrector has written it
        long start = corrector.outputIndexOfNextInput();
        if (lastSyncSample >= 0) {
            long expected = mapToServer(start);
            long late = chunkServerUs - expected;
            if (late > GAP_US) {
                corrector.flush(); // the filter's last samples of the stream before the gap
                start = wav.frames();
                long lateAfterFlush = chunkServerUs - mapToServer(start);
                closeWindow(start, "sync");
                long fill = Math.min(lateAfterFlush, MAX_GAP_FILL_US) * RATE / 1_000_000L;
                wav.writeSilence(fill);
                vad.acceptSilence(fill);
                gapsFilledSamples += fill;
                start += fill;
                corrector.reset(start);
                writeSync(start, chunkServerUs, chunk.stream() != stream ? "resume" : "gap");
                windowStart = start;
                windowMinOrigin = Long.MAX_VALUE;
            } else if (chunk.stream() != stream && stream >= 0) {
                corrector.flush();
                start = wav.frames();
                corrector.reset(start);
                closeWindow(start, "resume");
            }
        }
        stream = chunk.stream();
        long origin = chunkServerUs - start * 1_000_000L / RATE;
        windowMinOrigin = Math.min(windowMinOrigin, origin);
        corrector.append(chunk.samples(), chunk.arrivalServerUs());
        long written = wav.frames();
        if (written - windowStart >= SYNC_EVERY_SAMPLES) {
            closeWindow(written, "sync");
        }
    }

    /** The corrector's output: the file and the VAD see the same (corrected) samples. */
    private void writeCorrected(short[] samples, int offset, int count) throws IOException {
        wav.write(samples, offset, count);
        vad.accept(samples, offset, count);
    }

    private static boolean silent(short[] samples) {
        for (short v : samples) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes a sync point for sample {@code at} from the current window, and starts a new window. */
    private void closeWindow(long at, String kind) throws IOException {
        if (windowMinOrigin == Long.MAX_VALUE) {
            return;
        }
        if (lastSyncSample < 0) {
            writeSync(0, windowMinOrigin, "start"); // the best estimate of the first sample's time
        }
        if (at > lastSyncSample) {
            writeSync(at, windowMinOrigin + at * 1_000_000L / RATE, kind);
        }
        windowStart = at;
        windowMinOrigin = Long.MAX_VALUE;
    }

    private void writeSync(long sample, long serverUs, String kind) throws IOException {
        long previousSample = lastSyncSample;
        long previousServerUs = lastSyncServerUs;
        long olderSample = olderSyncSample;
        long olderServerUs = olderSyncServerUs;
        olderSyncSample = previousSample;
        olderSyncServerUs = previousServerUs;
        lastSyncSample = sample;
        lastSyncServerUs = serverUs;
        line(sync, json.createObjectNode().put("kind", kind).put("sample", sample).put("serverUs", serverUs)
                .put("latencyUs", latencyUs).put("stream", stream));
        if (previousSample < 0) {
            return; // the first point: the frames wait for the next one
        }
        // the frames since the previous point are placed between it and this one, as SampleTimeline reads the
        // file (interpolated, not extrapolated from the previous point at the nominal rate)
        int written = 0;
        for (VoiceActivityDetector.Frame f : vadPending) {
            long at = f.index() * VoiceActivityDetector.FRAME_SAMPLES;
            if (at >= sample) {
                break;
            }
            // a frame that was still incomplete when the previous point was written starts before that point
            // (points fall where the corrector's output ends, not on frame edges)
            long frameServerUs = at >= previousSample || olderSample < 0
                    ? SampleTimeline.interpolate(previousSample, previousServerUs, sample, serverUs, at)
                    : SampleTimeline.interpolate(olderSample, olderServerUs, previousSample, previousServerUs, at);
            writeVad(f, frameServerUs);
            written++;
        }
        vadPending.subList(0, written).clear();
    }

    private long mapToServer(long sample) {
        return lastSyncServerUs + (sample - lastSyncSample) * 1_000_000L / RATE;
    }

    /** Frames wait for the sync point after them (about a second): their time is interpolated between two points. */
    private void onVadFrame(VoiceActivityDetector.Frame frame) {
        vadPending.add(frame);
    }

    private void writeVad(VoiceActivityDetector.Frame f, long serverUs) throws IOException {
        line(vadOut, json.createObjectNode().put("frame", f.index()).put("serverUs", serverUs)
                .put("voiced", f.voiced() ? 1 : 0).put("db", f.energyDb()));
    }

    /** Makes everything written so far durable and readable (header patched). */
    void checkpoint() throws IOException {
        wav.checkpoint();
        sync.flush();
        vadOut.flush();
    }

    /** Sample count so far. */
    long samples() {
        return wav.frames();
    }

    @Override
    public void close() throws IOException {
        try {
            corrector.flush(); // the filter's last samples
            vad.flush(); // its last frames, before the last sync point places them
            closeWindow(wav.frames(), "sync");
            if (lastSyncSample >= 0) {
                for (VoiceActivityDetector.Frame f : vadPending) { // after the last point: nothing to interpolate to
                    writeVad(f, mapToServer(f.index() * VoiceActivityDetector.FRAME_SAMPLES));
                }
                vadPending.clear();
                line(sync, json.createObjectNode().put("kind", "end").put("sample", wav.frames())
                        .put("serverUs", mapToServer(wav.frames()))
                        .put("arrivalSpanUs", lastArrivalUs - firstArrivalUs
                                + lastChunkSamples * 1_000_000L / RATE)
                        .put("silenceFilledSamples", gapsFilledSamples)
                        .put("receivedSamples", corrector.inputSamples())
                        .put("minStretch", round6(corrector.minStretch()))
                        .put("maxStretch", round6(corrector.maxStretch()))
                        .put("leadingSilenceSkippedSamples", leadingSilenceSkipped));
            }
        } finally {
            try (wav; sync; vadOut) {
                // closes all three even if one fails
            }
        }
    }

    private static double round6(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    String participantId() {
        return participantId;
    }

    private void line(BufferedWriter out, ObjectNode node) throws IOException {
        out.write(json.writeValueAsString(node));
        out.write('\n');
    }
}
