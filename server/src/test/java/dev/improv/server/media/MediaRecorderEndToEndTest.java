package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestLocks;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Two synthetic performers send a known tone pattern over WebRTC, signalled through our server, to the media
 * recorder; then the recorded files are checked against what was sent. libwebrtc ignores loopback, so the
 * scenario ({@link MediaScenarioMain}) runs in a child JVM inside a network namespace made here, with a veth
 * pair (10.203.0.1/30 - 10.203.0.2/30) so that host candidates exist. No traffic leaves the namespace.
 */
@Tag("media")
@ResourceLock(TestLocks.CPU)
class MediaRecorderEndToEndTest {
    /** Unique per test JVM, so that two checkouts can run this test on one machine at the same time. */
    private static final String NAMESPACE = "improv-media-" + ProcessHandle.current().pid();
    /** Full scale is 32768; the tone is sent at half scale. */
    private static final int TONE_THRESHOLD = 3_000;
    private static final int QUIET_SAMPLES = 4_800;

    @TempDir
    Path dir;

    @Test
    void performersAudioLandsOnTheServerTimeline() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to create a network namespace (libwebrtc ignores loopback); CI runs as root");
        Assumptions.assumeTrue(new File("/usr/sbin/ip").canExecute() || new File("/sbin/ip").canExecute()
                || new File("/usr/bin/ip").canExecute(), "needs the 'ip' tool (scripts/install-media-deps.sh)");
        Path data = dir.resolve("data");
        Path result = dir.resolve("result.json");
                try {
            assertEquals(0, sh("ip", "netns", "add", NAMESPACE));
            assertEquals(0, sh("ip", "netns", "exec", NAMESPACE, "sh", "-c",
                    "ip link set lo up && ip link add vma type veth peer name vmb"
                            + " && ip addr add 10.203.0.1/30 dev vma && ip addr add 10.203.0.2/30 dev vmb"
                            + " && ip link set vma up && ip link set vmb up"));
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process child = new ProcessBuilder("ip", "netns", "exec", NAMESPACE, java.toString(), "-Xmx512m",
                    "-cp", classpath, MediaScenarioMain.class.getName(), data.toString(), result.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("scenario did not finish in 60 s; log: " + tail(dir.resolve("child.log")));
            }
            assertEquals(0, child.exitValue(), "scenario failed; log: " + tail(dir.resolve("child.log")));
        } finally {
            sh("ip", "netns", "del", NAMESPACE);
        }

        JsonNode sent = ProtocolCodec.mapper().readTree(Files.readString(result));
        Path media = data.resolve("sessions").resolve(sent.path("session").asText()).resolve("media");
        assertEquals(2, sent.path("performers").size());
        for (JsonNode performer : sent.path("performers")) {
            check(media, performer);
            checkVideo(media, performer);
        }
    }

    /**
     * The image sequence: stored at about {@link MediaScenarioMain#VIDEO_FPS} while the camera ran, increasing
     * {@code serverUs}, readable JPEGs of the sent size, and the colour in each image is the one the camera sent
     * at that server time (frames within {@link #COLOUR_EDGE_MS} of a colour change are not judged).
     */
    private void checkVideo(Path media, JsonNode performer) throws Exception {
        String id = performer.path("id").asText();
        List<JsonNode> lines = MediaFiles.lines(media.resolve(id + ".video.jsonl"));
        long first = performer.path("videoFirstServerUs").asLong();
        long last = performer.path("videoLastServerUs").asLong();
        double expected = MediaScenarioMain.VIDEO_FPS * (last - first) / 1e6;
        List<Long> changes = new ArrayList<>();
        performer.path("colourChangesServerUs").forEach(n -> changes.add(n.asLong()));
        List<Long> sentFrames = new ArrayList<>();
        performer.path("framesServerUs").forEach(n -> sentFrames.add(n.asLong()));
        List<Double> timingErrorsMs = new ArrayList<>();
        List<Double> intervalsMs = new ArrayList<>();
        List<Long> latencies = new ArrayList<>();
        int judged = 0;
        int matching = 0;
        long previous = Long.MIN_VALUE;
        for (JsonNode l : lines) {
            long t = l.path("serverUs").asLong();
            assertTrue(t > previous, "video serverUs must increase: " + l);
            if (previous != Long.MIN_VALUE) {
                intervalsMs.add((t - previous) / 1000.0);
            }
            previous = t;
            latencies.add(l.path("latencyUs").asLong() / 1000);
            assertTrue(t >= first - 300_000 && t <= last + 500_000,
                    "frame at " + t + " outside the camera's run " + first + ".." + last);
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(media.resolve(l.path("file").asText()).toFile());
            assertEquals(MediaScenarioMain.CAMERA_WIDTH, img.getWidth());
            assertEquals(MediaScenarioMain.CAMERA_HEIGHT, img.getHeight());
            assertEquals(img.getWidth(), l.path("width").asInt());
            int segment = -1;
            long distance = Long.MAX_VALUE;
            for (int i = 0; i < changes.size(); i++) {
                distance = Math.min(distance, Math.abs(t - changes.get(i)));
                if (changes.get(i) <= t) {
                    segment = i;
                }
            }
            // the frame number drawn by the camera gives the exact server time it was sent at
            int number = 0;
            int bar = img.getWidth() / SyntheticPerformer.NUMBER_BITS;
            for (int bit = 0; bit < SyntheticPerformer.NUMBER_BITS; bit++) {
                int luma = (img.getRGB(bit * bar + bar / 2, img.getHeight() / 4) >> 8) & 0xff;
                number |= (luma > 128 ? 1 : 0) << bit;
            }
            assertTrue(number < sentFrames.size(), "image shows frame " + number + " of " + sentFrames.size() + " sent");
            timingErrorsMs.add((t - sentFrames.get(number)) / 1000.0);
            if (segment >= 0 && distance >= COLOUR_EDGE_MS * 1000L) {
                judged++;
                int[] want = SyntheticPerformer.PALETTE[segment % SyntheticPerformer.PALETTE.length];
                int rgb = img.getRGB(img.getWidth() / 2, 3 * img.getHeight() / 4);
                int[] got = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
                boolean close = true;
                for (int k = 0; k < 3; k++) {
                    close &= Math.abs(want[k] - got[k]) <= 40;
                }
                if (close) {
                    matching++;
                }
            }
        }
        List<Double> sorted = intervalsMs.stream().sorted().toList();
        double medianMs = sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
        System.out.printf(Locale.ROOT, "MEDIA E2E VIDEO %s: %d images stored vs %.1f expected (%d frames pushed at "
                        + "%d fps over %.2f s); intervals %s ms (median %.0f); colour matches %d of %d judged; "
                        + "latency estimates %s ms; serverUs minus the sent frame's server time %s ms%n", id,
                lines.size(), expected,
                performer.path("videoFramesPushed").asInt(), MediaScenarioMain.CAMERA_FPS, (last - first) / 1e6,
                intervalsMs, medianMs, matching, judged, latencies, timingErrorsMs);
        for (double e : timingErrorsMs) {
            assertTrue(Math.abs(e) <= VIDEO_TIMING_TOLERANCE_MS, "image time off by " + e + " ms");
        }
        assertTrue(lines.size() >= 0.6 * expected && lines.size() <= expected + 2,
                lines.size() + " images stored, expected about " + expected);
        assertTrue(Math.abs(medianMs - 1000 / MediaScenarioMain.VIDEO_FPS) <= 150,
                "median interval " + medianMs + " ms");
        assertTrue(judged >= 3 && matching >= 0.8 * judged, "colour right in " + matching + " of " + judged
                + " images judged");
    }

    private void check(Path media, JsonNode performer) throws Exception {
        String id = performer.path("id").asText();
        short[] pcm = MediaFiles.readWav(media.resolve(id + ".wav"));
        List<JsonNode> sync = MediaFiles.lines(media.resolve(id + ".sync.jsonl"));
        JsonNode end = sync.get(sync.size() - 1);
        assertEquals("end", end.path("kind").asText());
        assertEquals(pcm.length, end.path("sample").asLong(), "the end line counts every sample of the file");

        // duration: samples in the file against the wall-clock span over which the recorder received them
        double fileMs = pcm.length / 48.0;
        double spanMs = end.path("arrivalSpanUs").asLong() / 1000.0;
        // the pattern as heard: first onset to last offset, against 2.5 s sent
        List<Long> onsets = MediaFiles.onsets(pcm, TONE_THRESHOLD, QUIET_SAMPLES);
        List<Long> offsets = MediaFiles.offsets(pcm, TONE_THRESHOLD, QUIET_SAMPLES);
        assertEquals(MediaScenarioMain.BURSTS, onsets.size(), "tone onsets in the file of " + id);
        assertEquals(MediaScenarioMain.BURSTS, offsets.size(), "tone offsets in the file of " + id);
        double patternMs = (offsets.get(offsets.size() - 1) - onsets.get(0)) / 48.0;
        double expectedPatternMs = MediaScenarioMain.BURSTS * (MediaScenarioMain.ON_MS + MediaScenarioMain.OFF_MS)
                - MediaScenarioMain.OFF_MS;

        // onsets on the server timeline against the sender's server-clock stamps
        SampleTimeline timeline = MediaFiles.timeline(media.resolve(id + ".sync.jsonl"));
        List<Double> onsetErrorsMs = new ArrayList<>();
        List<Double> spacingErrorsMs = new ArrayList<>();
        for (int i = 0; i < onsets.size(); i++) {
            long sentUs = performer.path("onsetsServerUs").get(i).asLong();
            onsetErrorsMs.add((timeline.serverMicros(onsets.get(i)) - sentUs) / 1000.0);
            if (i > 0) {
                long sentGap = sentUs - performer.path("onsetsServerUs").get(i - 1).asLong();
                long heardGap = timeline.serverMicros(onsets.get(i)) - timeline.serverMicros(onsets.get(i - 1));
                spacingErrorsMs.add((heardGap - sentGap) / 1000.0);
            }
        }

        // VAD: each 10 ms frame against the on/off pattern as sent (server time); frames within 2 of an edge skipped
        List<JsonNode> vad = MediaFiles.lines(media.resolve(id + ".vad.jsonl"));
        assertEquals(pcm.length / VoiceActivityDetector.FRAME_SAMPLES, vad.size(), "one VAD line per 10 ms frame");
        long firstFileOnsetUs = timeline.serverMicros(onsets.get(0));
        int agree = 0;
        int compared = 0;
        for (JsonNode f : vad) {
            long frameStart = f.path("frame").asLong() * VoiceActivityDetector.FRAME_SAMPLES;
            double ms = (timeline.serverMicros(frameStart) - firstFileOnsetUs) / 1000.0;
            double period = MediaScenarioMain.ON_MS + MediaScenarioMain.OFF_MS;
            double phase = ((ms % period) + period) % period;
            boolean inPattern = ms >= -20 && ms < MediaScenarioMain.BURSTS * period;
            if (Math.min(Math.abs(phase), Math.min(Math.abs(phase - MediaScenarioMain.ON_MS), period - phase)) < 20) {
                continue; // within two frames of an edge
            }
            boolean expected = inPattern && phase < MediaScenarioMain.ON_MS;
            compared++;
            if ((f.path("voiced").asInt() == 1) == expected) {
                agree++;
            }
        }
        double agreement = 100.0 * agree / compared;
        // sample index as time: how far each sync point is off the nominal line through sample 0 (what is left is
        // the latency estimate's change, not the device's drift, which the writer corrects)
        // sample index as time: how far the sync points are off the nominal line through sample 0. The device's drift
        // is corrected; what is left is the latency estimate's change (the 60 ms default until the first stats, then
        // the jitter buffer's growth), which NetEq's time-stretching put into the content: printed, not bounded
        SampleTimeline.SyncPoint first = timeline.points().get(0);
        double offNominalMs = 0;
        for (SampleTimeline.SyncPoint p : timeline.points()) {
            double off = (p.serverUs() - first.serverUs() - p.sample() * 1e6 / 48_000) / 1000.0;
            offNominalMs = Math.abs(off) > Math.abs(offNominalMs) ? off : offNominalMs;
        }
        System.out.printf(Locale.ROOT, "MEDIA E2E %s: file %.1f ms vs received span %.1f ms; pattern %.1f ms "
                        + "(sent %.0f); onset error vs sender stamps %s ms; onset spacing error %s ms; VAD agreement "
                        + "%.1f%% of %d frames; latency estimates %s; received %.1f ms, stretch %.4f..%.4f; sync points "
                        + "off the nominal line by up to %.1f ms%n", id, fileMs,
                spanMs, patternMs, expectedPatternMs, onsetErrorsMs, spacingErrorsMs, agreement, compared,
                sync.stream().filter(n -> n.has("latencyUs")).map(n -> n.path("latencyUs").asLong() / 1000).toList(),
                end.path("receivedSamples").asLong() / 48.0, end.path("minStretch").asDouble(),
                end.path("maxStretch").asDouble(), offNominalMs);

        assertTrue(Math.abs(fileMs - spanMs) <= DURATION_TOLERANCE_MS, "file duration " + fileMs + " ms vs received " + spanMs + " ms");
        assertTrue(Math.abs(patternMs - expectedPatternMs) <= PATTERN_TOLERANCE_MS, "pattern lasts " + patternMs + " ms in the file");
        for (double e : spacingErrorsMs) {
            assertTrue(Math.abs(e) <= SPACING_TOLERANCE_MS, "onset spacing on the server timeline off by " + e + " ms");
        }
        for (double e : onsetErrorsMs) {
            // absolute alignment depends on the jitter-buffer latency estimate; see docs/media-recorder.md
            assertTrue(Math.abs(e) <= ABSOLUTE_ONSET_TOLERANCE_MS, "onset off by " + e + " ms on the server timeline");
        }
        assertTrue(agreement >= VAD_MIN_AGREEMENT_PERCENT, "VAD agrees on only " + agreement + "% of frames");
    }

    /*
     * File length: the writer's drift corrector makes the file as long as the time it was received over; measured
     * within 3 ms on the shared 2-core machine, idle and with two busy loops added, +15.6 ms with three
     * (docs/media-recorder.md, "Timing accuracy"), so the documented 30 ms is the bound.
     */
    static final double DURATION_TOLERANCE_MS = 30;
    /*
     * KNOWN SHORTFALL, not the targets (20 ms onsets): the recorder takes audio where libwebrtc plays it out
     * (jitter buffer + the headless device's 10 ms pull). Under load the jitter buffer grows and NetEq time-stretches
     * the content, which the drift corrector does not undo (it follows the device's clock, the sync points carry
     * the latency); measured errors were up to 216 ms (pattern length) and 70..235 ms (onsets) before the corrector,
     * and with it up to 24 ms and 46 ms on the shared machine, 405 ms (onsets, a failed VAD check) with three busy
     * loops added. These bounds catch a broken pipeline, not a precise one.
     */
    static final double PATTERN_TOLERANCE_MS = 400;
    static final double SPACING_TOLERANCE_MS = 400;
    static final double ABSOLUTE_ONSET_TOLERANCE_MS = 600;
    static final double VAD_MIN_AGREEMENT_PERCENT = 80;
    /** Images this close to a colour change of the camera are not judged: their time is an estimate. */
    static final long COLOUR_EDGE_MS = 150;
    /** Loose, like the audio bounds: catches a broken mapping, not a 30 ms miss under load. */
    static final double VIDEO_TIMING_TOLERANCE_MS = 300;

    private static int sh(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (Exception e) {
            return "(no log)";
        }
    }
}
