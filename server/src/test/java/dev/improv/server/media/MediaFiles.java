package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the recorder's files back, as a dataset user would; for tests. */
public final class MediaFiles {
    private MediaFiles() {
    }

    static short[] readWav(Path wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        int dataBytes = b.getInt(40);
        short[] out = new short[dataBytes / 2];
        b.position(WavWriter.HEADER_BYTES);
        b.asShortBuffer().get(out);
        return out;
    }

    public static List<JsonNode> lines(Path jsonl) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            out.add(ProtocolCodec.mapper().readTree(line));
        }
        return out;
    }

    public static SampleTimeline timeline(Path syncJsonl) throws IOException {
        List<SampleTimeline.SyncPoint> points = new ArrayList<>();
        for (JsonNode n : lines(syncJsonl)) {
            String kind = n.path("kind").asText();
            if (!kind.equals("header") && !kind.equals("end")
                    && (points.isEmpty() || n.path("sample").asLong() > points.get(points.size() - 1).sample())) {
                points.add(new SampleTimeline.SyncPoint(n.path("sample").asLong(), n.path("serverUs").asLong()));
            }
        }
        return new SampleTimeline(points, 48_000);
    }

    /** Samples where |x| first exceeds {@code threshold} after at least {@code quietSamples} below it. */
    static List<Long> onsets(short[] x, int threshold, int quietSamples) {
        List<Long> out = new ArrayList<>();
        int quiet = quietSamples;
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i]) > threshold) {
                if (quiet >= quietSamples) {
                    out.add((long) i);
                }
                quiet = 0;
            } else {
                quiet++;
            }
        }
        return out;
    }

    /** The last sample above {@code threshold} before a quiet run of {@code quietSamples} (or the end). */
    static List<Long> offsets(short[] x, int threshold, int quietSamples) {
        List<Long> out = new ArrayList<>();
        long lastLoud = -1;
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i]) > threshold) {
                lastLoud = i;
            } else if (lastLoud >= 0 && i - lastLoud == quietSamples) {
                out.add(lastLoud);
                lastLoud = -1;
            }
        }
        if (lastLoud >= 0) {
            out.add(lastLoud);
        }
        return out;
    }
}
