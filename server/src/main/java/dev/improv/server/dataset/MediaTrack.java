package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.improv.server.media.SampleTimeline;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One performer's recording in a session as the media recorder left it (docs/media-recorder.md):
 * {@code media/<pid>.wav} (48 kHz mono 16-bit) with {@code .sync.jsonl} (sample ↔ server time) and
 * {@code .vad.jsonl} (100 Hz), and later segments {@code <pid>.seg2.wav}… after the performer left and came back.
 * Cuts the part of it that covers one interaction, streamed: nothing is held but a copy buffer.
 */
final class MediaTrack {
    static final int RATE = 48_000;
    static final int HEADER_BYTES = 44;
    private static final int COPY = 64 * 1024;
    private static final ObjectMapper JSON = ProtocolCodec.mapper();

    /** One segment: its WAV, the sample count on disk, its sync points ({sample, serverUs}), its VAD file (or null). */
    record Segment(Path wav, long frames, List<long[]> sync, Path vad) {
        /**
         * The sample of this file captured at server time {@code us}: between two sync points on the line through
         * them, as the recorder's {@link SampleTimeline} reads its files (its audio clock is not the server's: a
         * file held 0.5-2.3 % fewer samples than the time that passed, issue 17), at the nominal rate outside.
         */
        long sampleAt(long us) {
            List<SampleTimeline.SyncPoint> points = new ArrayList<>(sync.size());
            for (long[] p : sync) {
                points.add(new SampleTimeline.SyncPoint(p[0], p[1]));
            }
            return new SampleTimeline(points, RATE).sampleAt(us);
        }

        long startUs() {
            return sync.get(0)[1] - sync.get(0)[0] * 1_000_000L / RATE;
        }

        long endUs() {
            long[] last = sync.get(sync.size() - 1);
            return last[1] + (frames - last[0]) * 1_000_000L / RATE;
        }
    }

    private final List<Segment> segments;

    private MediaTrack(List<Segment> segments) {
        this.segments = segments;
    }

    /**
     * A WAV whose sample {@code i} was captured at {@code firstSampleServerUs + i / 48 kHz} (a local take: its
     * capture runs already placed, gaps already silence), without VAD.
     */
    static MediaTrack placed(Path wav, long firstSampleServerUs) throws IOException {
        long frames = Math.max(0, (Files.size(wav) - HEADER_BYTES) / 2);
        List<long[]> sync = new ArrayList<>();
        sync.add(new long[] {0, firstSampleServerUs});
        return new MediaTrack(List.of(new Segment(wav, frames, sync, null)));
    }

    /** The recording of {@code pid} under {@code mediaDir}, or null when there is none (not recorded, no consent). */
    static MediaTrack find(Path mediaDir, String pid) throws IOException {
        if (pid == null || pid.isEmpty() || pid.contains("/") || pid.contains("\\") || pid.startsWith(".")) {
            return null;
        }
        List<Segment> out = new ArrayList<>();
        for (int n = 1; ; n++) {
            String base = n == 1 ? pid : pid + ".seg" + n;
            Path wav = mediaDir.resolve(base + ".wav");
            Path sync = mediaDir.resolve(base + ".sync.jsonl");
            if (!Files.isRegularFile(wav) || !Files.isRegularFile(sync)) {
                break;
            }
            List<long[]> points = syncPoints(sync);
            if (points.isEmpty()) {
                continue; // a stream that never delivered a sample
            }
            long frames = Math.max(0, (Files.size(wav) - HEADER_BYTES) / 2);
            out.add(new Segment(wav, frames, points, mediaDir.resolve(base + ".vad.jsonl")));
        }
        return out.isEmpty() ? null : new MediaTrack(out);
    }

    private static List<long[]> syncPoints(Path sync) throws IOException {
        List<long[]> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(sync, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    break; // a torn last line
                }
                if (n.has("sample") && n.has("serverUs") && !"end".equals(n.path("kind").asText())
                        && (out.isEmpty() || n.get("sample").asLong() > out.get(out.size() - 1)[0])) {
                    out.add(new long[] {n.get("sample").asLong(), n.get("serverUs").asLong()});
                }
            }
        }
        return out;
    }

    /**
     * Fills {@code out} with this recording of {@code [startUs, startUs + out.length / 48 kHz)} resampled onto the
     * server timeline: the segment covering all of it is read between the samples its sync points give for the
     * window's two ends, and interpolated linearly to {@code out.length} samples (so the recorder's own clock rate,
     * 0.8-1.3 % slow, does not smear the window). False, with nothing read, when no one segment covers the window
     * (not recorded then, or not yet flushed to disk).
     */
    boolean readPlaced(long startUs, float[] out) throws IOException {
        long endUs = startUs + Math.round(out.length * 1e6 / RATE);
        for (Segment s : segments) {
            long first = s.sampleAt(startUs);
            long past = s.sampleAt(endUs);
            if (first < 0 || past >= s.frames() || past <= first) {
                continue;
            }
            int count = (int) (past - first + 1);
            ByteBuffer buf = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel in = FileChannel.open(s.wav())) {
                long position = HEADER_BYTES + first * 2;
                while (buf.hasRemaining()) {
                    if (in.read(buf, position + buf.position()) < 0) {
                        return false;
                    }
                }
            }
            buf.flip();
            short[] raw = new short[count];
            buf.asShortBuffer().get(raw);
            double step = out.length > 1 ? (double) (past - first) / out.length : 0;
            for (int i = 0; i < out.length; i++) {
                double x = i * step;
                int j = (int) x;
                double f = x - j;
                double next = j + 1 < count ? raw[j + 1] : raw[j];
                out[i] = (float) ((raw[j] * (1 - f) + next * f) / 32768.0);
            }
            return true;
        }
        return false;
    }

    static long frames(long startUs, long endUs) {
        return Math.max(0, Math.floorDiv((endUs - startUs) * RATE, 1_000_000L));
    }

    /** Bytes of the WAV file {@link #writeSlice} writes for this window. */
    static long sliceBytes(long startUs, long endUs) {
        return HEADER_BYTES + frames(startUs, endUs) * 2;
    }

    /**
     * Writes a 48 kHz mono 16-bit WAV covering exactly {@code [startUs, endUs)}: the recorded samples where a
     * segment covers the time, digital silence where none does. Returns the number of recorded (not filled) samples.
     */
    long writeSlice(long startUs, long endUs, OutputStream out) throws IOException {
        long total = frames(startUs, endUs);
        out.write(header(total));
        long written = 0;
        long recorded = 0;
        byte[] zeros = new byte[COPY];
        for (Segment s : segments) {
            long from = s.sampleAt(startUs); // segment sample at output sample 0
            long outFirst = Math.max(written, -from);
            long outPast = Math.min(total, s.frames() - from);
            if (outPast <= outFirst) {
                continue;
            }
            writeZeros(out, (outFirst - written) * 2, zeros);
            try (FileChannel in = FileChannel.open(s.wav())) {
                copy(in, HEADER_BYTES + (from + outFirst) * 2, (outPast - outFirst) * 2, out);
            }
            recorded += outPast - outFirst;
            written = outPast;
        }
        writeZeros(out, (total - written) * 2, zeros);
        return recorded;
    }

    /**
     * The 100 Hz voice activity of {@code [startUs, endUs)} from the recorder's VAD: frame {@code j} covers
     * {@code startUs + j·10 ms}. A frame no segment recorded is {@code null}.
     */
    void writeVad(long startUs, long endUs, VadSink sink) throws IOException {
        int frames = (int) Math.max(0, Math.floorDiv(endUs - startUs + 9_999, 10_000));
        int next = 0;
        for (Segment s : segments) {
            if (s.vad() == null || !Files.isRegularFile(s.vad()) || s.endUs() <= startUs || s.startUs() >= endUs) {
                continue;
            }
            try (BufferedReader in = Files.newBufferedReader(s.vad(), StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    JsonNode n;
                    try {
                        n = JSON.readTree(line);
                    } catch (IOException e) {
                        break;
                    }
                    long t = n.path("serverUs").asLong();
                    if (t < startUs) {
                        continue;
                    }
                    if (t >= endUs) {
                        break;
                    }
                    int j = (int) ((t - startUs) / 10_000);
                    while (next < j) {
                        sink.frame(next++, null, null);
                    }
                    if (j == next) {
                        sink.frame(next++, n.path("voiced").asInt() == 1, n.path("db").asDouble());
                    }
                }
            }
        }
        while (next < frames) {
            sink.frame(next++, null, null);
        }
    }

    @FunctionalInterface
    interface VadSink {
        void frame(int index, Boolean voiced, Double db) throws IOException;
    }

    private static void copy(FileChannel in, long position, long bytes, OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(COPY);
        long done = 0;
        while (done < bytes) {
            buf.clear().limit((int) Math.min(COPY, bytes - done));
            int n = in.read(buf, position + done);
            if (n < 0) {
                throw new IOException(in + ": shorter than its sample count");
            }
            out.write(buf.array(), 0, n);
            done += n;
        }
    }

    private static void writeZeros(OutputStream out, long bytes, byte[] zeros) throws IOException {
        while (bytes > 0) {
            int n = (int) Math.min(zeros.length, bytes);
            out.write(zeros, 0, n);
            bytes -= n;
        }
    }

    static byte[] header(long frames) {
        long data = frames * 2;
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(0xFFFF_FFFFL, 36 + data));
        h.put("WAVE".getBytes(StandardCharsets.US_ASCII)).put("fmt ".getBytes(StandardCharsets.US_ASCII));
        h.putInt(16).putShort((short) 1).putShort((short) 1).putInt(RATE).putInt(RATE * 2).putShort((short) 2)
                .putShort((short) 16);
        h.put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) Math.min(0xFFFF_FFFFL, data));
        return h.array();
    }
}
