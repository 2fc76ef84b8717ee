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

    /**
     * 10 ms chunks, a 1 kHz tone in every other 100 ms; chunk {@code k} arrives at {@code T0 + k · stepUs} with a
     * latency estimate of {@code latencyUs(k)}.
     */
    static void feed(TrackFiles files, int chunks, long stepUs, java.util.function.IntToLongFunction latencyUs)
            throws IOException {
        for (int k = 0; k < chunks; k++) {
            short[] samples = new short[480];
            if ((k / 10) % 2 == 0) {
                for (int i = 0; i < samples.length; i++) {
                    samples[i] = (short) (8000 * Math.sin(2 * Math.PI * 1000 * i / 48_000.0));
                }
            }
            files.append(new AudioChunk("p", samples, T0 + k * stepUs, latencyUs.applyAsLong(k), 0));
        }
    }

    @Test
    void voiceActivityTimesAreInterpolatedBetweenTheSyncPointsAroundThem() throws Exception {
        // delivered in real time, but the latency estimate falls by 1 % of the time that passes (a jitter buffer
        // draining): the sync points' slope is 1 % off the nominal rate although the file's length follows the clock
        try (TrackFiles files = new TrackFiles(dir, "p", "p", ProtocolCodec.mapper(), 0, 0)) {
            feed(files, 500, 10_000, k -> 60_000 - 100L * k);
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
    void aDeliverySlowerThanRealTimeIsStretchedAndTheSyncPointsDescribeTheStretchedFile() throws Exception {
        // the headless device pulls 10 ms every 10.2 ms (2 % slow), for 10 s
        try (TrackFiles files = new TrackFiles(dir, "p", "p", ProtocolCodec.mapper(), 0, 0)) {
            feed(files, 1_000, 10_200, k -> 40_000);
        }
        List<JsonNode> sync = MediaFiles.lines(dir.resolve("p.sync.jsonl"));
        JsonNode end = sync.get(sync.size() - 1);
        long wavFrames = (Files.size(dir.resolve("p.wav")) - WavWriter.HEADER_BYTES) / 2;
        assertEquals(end.path("sample").asLong(), wavFrames);
        double fileMs = wavFrames / 48.0;
        double spanMs = end.path("arrivalSpanUs").asLong() / 1000.0;
        assertTrue(Math.abs(fileMs - spanMs) <= 5, "file " + fileMs + " ms, delivered over " + spanMs + " ms");
        assertEquals(1_000 * 480, end.path("receivedSamples").asLong());
        assertEquals(0, end.path("silenceFilledSamples").asLong(), "drift is not a gap");
        assertEquals(1 / 0.98, end.path("maxStretch").asDouble(), 0.012, end.toString());
        // every sync point on the nominal line through the first: the file's sample index is server time
        SampleTimeline timeline = MediaFiles.timeline(dir.resolve("p.sync.jsonl"));
        SampleTimeline.SyncPoint first = timeline.points().get(0);
        assertEquals(T0 - 40_000, first.serverUs(), "sample 0: the first chunk's arrival minus its latency");
        for (SampleTimeline.SyncPoint p : timeline.points()) {
            long nominal = first.serverUs() + p.sample() * 1_000_000L / 48_000;
            assertTrue(Math.abs(p.serverUs() - nominal) <= 10_000, p + " is " + (p.serverUs() - nominal)
                    + " µs off the nominal line");
        }
        // the tone bursts (100 ms every 200 ms of server time) where the timeline says they are
        short[] pcm = MediaFiles.readWav(dir.resolve("p.wav"));
        List<Long> onsets = MediaFiles.onsets(pcm, 3_000, 2_400);
        assertTrue(onsets.size() >= 45, "bursts found: " + onsets.size());
        for (int i = 0; i < onsets.size(); i++) {
            long sentUs = T0 - 40_000 + i * 20 * 10_200L; // burst i starts in chunk 20 i
            long heardUs = timeline.serverMicros(onsets.get(i));
            assertTrue(Math.abs(heardUs - sentUs) <= 10_000, "burst " + i + " heard " + (heardUs - sentUs) / 1000.0
                    + " ms off");
        }
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
