package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorder's files of one performer, written from chunks whose arrival times the test chooses. */
@Tag("integration")
class TrackFilesTest {
    static final long T0 = 1_764_633_600_000_000L;

    @TempDir
    Path dir;

    /** 10 ms chunks, a 1 kHz tone in every other 100 ms; chunk {@code k} arrives at {@code T0 + k · stepUs}. */
    static void feed(TrackFiles files, int chunks, long stepUs) throws IOException {
        for (int k = 0; k < chunks; k++) {
            short[] samples = new short[480];
            if ((k / 10) % 2 == 0) {
                for (int i = 0; i < samples.length; i++) {
                    samples[i] = (short) (8000 * Math.sin(2 * Math.PI * 1000 * i / 48_000.0));
                }
            }
            files.append(new AudioChunk("p", samples, T0 + k * stepUs, 0, 0));
        }
    }

    @Test
    void voiceActivityTimesAreInterpolatedBetweenTheSyncPointsAroundThem() throws Exception {
        // the performer's audio clock runs 1 % slow against the server's: 10 ms of samples every 10.1 ms
        try (TrackFiles files = new TrackFiles(dir, "p", "p", ProtocolCodec.mapper(), 0, 0)) {
            feed(files, 500, 10_100);
        }
        SampleTimeline timeline = MediaFiles.timeline(dir.resolve("p.sync.jsonl"));
        List<SampleTimeline.SyncPoint> points = timeline.points();
        assertTrue(points.size() >= 5, points.toString());
        List<JsonNode> vad = MediaFiles.lines(dir.resolve("p.vad.jsonl"));
        assertEquals(500, vad.size(), "one line per 10 ms frame");
        long lastPoint = points.get(points.size() - 1).sample();
        long worst = 0;
        long worstNominal = 0;
        for (JsonNode f : vad) {
            long sample = f.path("frame").asLong() * 480;
            if (sample >= lastPoint) {
                continue; // after the last point both ways are the same extrapolation
            }
            worst = Math.max(worst, Math.abs(f.path("serverUs").asLong() - timeline.serverMicros(sample)));
            // what extrapolating from the point before at the nominal rate gives (the old way)
            SampleTimeline.SyncPoint before = points.get(0);
            for (SampleTimeline.SyncPoint p : points) {
                if (p.sample() <= sample) {
                    before = p;
                }
            }
            long nominal = before.serverUs() + (sample - before.sample()) * 1_000_000L / 48_000;
            worstNominal = Math.max(worstNominal, Math.abs(nominal - timeline.serverMicros(sample)));
        }
        assertTrue(worst <= 1, "VAD frames on the sync points' timeline, off by at most " + worst + " µs");
        assertTrue(worstNominal >= 5_000, "the case tells the two apart: extrapolation is off by " + worstNominal + " µs");
    }

    @Test
    void aStreamsLeadingSilenceIsNotRecordedAndItsFirstSoundStartsTheFile() throws Exception {
        // 0.5 s of digital silence played out before the connection delivered anything, in real time, then sound;
        // then a second stream (a reconnect) that also starts with 0.3 s of silence, 1 s after the first ended
        try (TrackFiles files = new TrackFiles(dir, "p", "p", ProtocolCodec.mapper(), 0, 0)) {
            short[] tone = new short[480];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (short) (8000 * Math.sin(2 * Math.PI * 1000 * i / 48_000.0));
            }
            for (int k = 0; k < 250; k++) {
                boolean sound = k >= 50;
                files.append(new AudioChunk("p", sound ? tone : new short[480], T0 + k * 10_000L, 0, 0));
            }
            long second = T0 + 3_500_000;
            for (int k = 0; k < 100; k++) {
                files.append(new AudioChunk("p", k >= 30 ? tone : new short[480], second + k * 10_000L, 0, 1));
            }
        }
        List<JsonNode> sync = MediaFiles.lines(dir.resolve("p.sync.jsonl"));
        JsonNode start = sync.get(1);
        assertEquals("start", start.path("kind").asText());
        assertEquals(T0 + 500_000, start.path("serverUs").asLong(), "sample 0 is the first sound, placed by its arrival");
        JsonNode resume = sync.stream().filter(n -> "resume".equals(n.path("kind").asText())).findFirst().orElseThrow();
        // the second stream's first sound at 3.8 s: the time between is filled silence, as for any gap
        assertEquals(T0 + 3_800_000, resume.path("serverUs").asLong(), resume.toString());
        assertEquals(3_300_000 * 48L / 1000, resume.path("sample").asLong(), resume.toString());
        JsonNode end = sync.get(sync.size() - 1);
        assertEquals((50 + 30) * 480, end.path("leadingSilenceSkippedSamples").asLong(), end.toString());
        long wavFrames = (Files.size(dir.resolve("p.wav")) - WavWriter.HEADER_BYTES) / 2;
        assertEquals(end.path("sample").asLong(), wavFrames);
        assertEquals((200 + 70) * 480 + end.path("silenceFilledSamples").asLong(), wavFrames);
        // the first sound is voice: the skipped silence, not the sound, is the VAD's background
        assertEquals(1, MediaFiles.lines(dir.resolve("p.vad.jsonl")).get(0).path("voiced").asInt());
    }
}
