package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;

/**
 * Issue 17: the performer page records its own microphone (a WAV the test makes, with beeps at known times, played
 * by Chromium's fake capture device), uploads it chunk by chunk, and the server assembles the take on its
 * timeline. The beep onsets of the assembled track are compared with the capture device's own timestamps of the
 * same beeps (a {@code MediaStreamTrackProcessor} on the same microphone, put into the page by the test: its
 * {@code AudioData.timestamp}s put on the page clock by the earliest delivery of a frame), on the page's clock
 * (the track moved back with the clock offset the server used; the time sync's error is reported apart). Issue 17
 * asks for 10 ms; that is not met (docs/recording.md, "Accuracy"): the test prints the errors and bounds them at
 * 300 ms, which catches a broken pipeline, not a 10 ms miss. Idle, and while two threads keep both cores busy. Mid-take the
 * uploads are held (as if the server could not be reached) and the page is reloaded: the chunks in IndexedDB are
 * uploaded afterwards and the take is complete. In the next take the browser's network is cut for 10 s: every
 * chunk arrives once afterwards and the track has no gap.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class LocalTakeBrowserTest {
    static final int RATE = 48_000;
    /** Beeps: 60 ms of 1 kHz at half scale every 500 ms, from 0.25 s; the file loops. */
    static final double BEEP_EVERY_S = 0.5;

    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass().browserArgs(folder -> {
        Path wav = folder.resolve("beeps.wav");
        writeBeeps(wav, 10);
        return List.of("--use-file-for-fake-audio-capture=" + wav.toAbsolutePath());
    });

    static void writeBeeps(Path file, int seconds) throws IOException {
        int n = seconds * RATE;
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(RATE).putInt(RATE * 2).putShort((short) 2)
                .putShort((short) 16).put("data".getBytes()).putInt(2 * n);
        for (int i = 0; i < n; i++) {
            double t = (double) i / RATE - 0.25;
            double inBeep = t < 0 ? 1 : t % BEEP_EVERY_S;
            double v = t >= 0 && inBeep < 0.06 ? 0.5 * Math.sin(2 * Math.PI * 1000 * inBeep) : 0;
            b.putShort((short) Math.round(v * 32767));
        }
        Files.write(file, b.array());
    }

    /** Collects the capture device's timestamps of every beep onset on the page's microphone (test code only). */
    static final String TRUTH = """
            window.__truth = { raw: [], originMs: Infinity };
            const proc = new MediaStreamTrackProcessor({ track: window.improv.micTrack().clone() });
            const reader = proc.readable.getReader();
            let quiet = 0;
            (async () => { for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              const n = value.numberOfFrames;
              // the capture timestamps' origin on the page clock: the earliest delivery of a frame after its end
              window.__truth.originMs = Math.min(window.__truth.originMs,
                performance.now() - (value.timestamp + n * 1e6 / value.sampleRate) / 1000);
              const buf = new Float32Array(n);
              value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
              for (let i = 0; i < n; i++) {
                if (Math.abs(buf[i]) > 0.1) {
                  if (quiet > 4800) window.__truth.raw.push(value.timestamp + i * 1e6 / value.sampleRate);
                  quiet = 0;
                } else quiet++;
              }
              value.close();
            } })();
            """;

    /** Onsets (sample index) in a 16-bit mono WAV: above 0.1 of full scale after at least 100 ms below. */
    static List<Long> onsets(Path wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        List<Long> out = new ArrayList<>();
        long quiet = 0;
        for (int i = 44, s = 0; i + 1 < b.limit(); i += 2, s++) {
            if (Math.abs(b.getShort(i)) > 3277) {
                if (quiet > 4800) {
                    out.add((long) s);
                }
                quiet = 0;
            } else {
                quiet++;
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Double> truth(String window) {
        List<Object> raw = (List<Object>) rig.js(window, "const t = window.__truth; return t ? t.raw.map((ts) => "
                + "(performance.timeOrigin + t.originMs + ts / 1000) * 1000) : []");
        return raw.stream().map(o -> ((Number) o).doubleValue()).toList();
    }

    /**
     * A third, coarse reference: the fake device starts its file when the page opens the devices, so a beep's
     * onset implies a start time (modulo the 500 ms period); printed against the window the page measured around
     * {@code getUserMedia} (server µs), for each onset list.
     */
    static String impliedStarts(String label, List<Double> onsetsServerUs, double[] window) {
        if (window == null || onsetsServerUs.isEmpty()) {
            return label + ": no window";
        }
        List<Long> offsets = new ArrayList<>();
        for (double at : onsetsServerUs) {
            double sinceCall = at - window[0] - 250_000;
            double start = at - 250_000 - BEEP_EVERY_S * 1e6 * Math.floor(sinceCall / (BEEP_EVERY_S * 1e6));
            offsets.add(Math.round((start - window[0]) / 1000));
        }
        return label + ": implied device start after getUserMedia call (ms, window " + Math.round((window[1]
                - window[0]) / 1000) + " ms wide): " + offsets.stream().distinct().limit(8).toList();
    }

    @SuppressWarnings("unchecked")
    static double[] devicesOpened(String window) {
        List<Object> w = (List<Object>) rig.js(window, "return window.improv.devicesOpened()");
        if (w == null) {
            return null;
        }
        return new double[] {((Number) w.get(0)).doubleValue(), ((Number) w.get(1)).doubleValue()};
    }

    record Errors(int beeps, double p50Ms, double maxMs, List<Double> all, List<Double> slipsMs) {
    }

    /** Each onset of the assembled track against the nearest captured beep (they are 500 ms apart). */
    static Errors compare(JsonNode track, List<Double> truthMono) throws IOException {
        Path wav = rig.dataDir().resolve(track.path("file").asText());
        // compared on the page's clock: the track's server times moved back with the one offset the server used,
        // so the time sync's own error (at most half its round trip, in alignErrorUs) is left out of this number
        JsonNode meta = ProtocolCodec.mapper().readTree(wav.resolveSibling(wav.getFileName().toString()
                .replace(".wav", ".json")).toFile());
        long first = track.path("firstSampleServerUs").asLong() - meta.path("clockOffsetUs").asLong();
        List<Double> errors = new ArrayList<>();
        List<Double> truthServer = truthMono;
        for (long s : onsets(wav)) {
            double at = first + s * 1e6 / RATE;
            double best = Double.MAX_VALUE;
            for (double t : truthServer) {
                if (Math.abs(at - t) < Math.abs(best)) {
                    best = at - t;
                }
            }
            if (Math.abs(best) < 200_000) {
                errors.add(best / 1000.0);
            }
        }
        ByteBuffer pcm = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        int peak = 0;
        for (int i = 44; i + 1 < pcm.limit(); i += 2) {
            peak = Math.max(peak, Math.abs(pcm.getShort(i)));
        }
        System.out.println("track " + wav.getFileName() + ": peak " + peak + ", onsets " + onsets(wav).size()
                + ", truth onsets " + truthMono.size() + " first " + truthMono.stream().limit(3).toList()
                + " as server " + truthServer.stream().limit(3).toList() + ", track starts " + first);
        Files.copy(wav, Path.of("target", "local-take-" + wav.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<Double> abs = errors.stream().map(Math::abs).sorted().toList();
        List<Long> on = onsets(wav);
        List<Double> slips = new ArrayList<>();
        for (int i = 1; i < on.size(); i++) {
            double gapMs = (on.get(i) - on.get(i - 1)) * 1000.0 / RATE - BEEP_EVERY_S * 1000;
            if (Math.abs(gapMs) > 0.05 && Math.abs(gapMs) < 250) { // a reload's gap is not a slip
                slips.add(gapMs);
            }
        }
        return new Errors(errors.size(), abs.isEmpty() ? Double.NaN : abs.get(abs.size() / 2),
                abs.isEmpty() ? Double.NaN : abs.get(abs.size() - 1), errors, slips);
    }

    void onStage(String window, boolean agree) {
        rig.humanClick(rig.on(window).findElement(By.id("join-button")));
        rig.awaitCheck(window);
        if (agree) {
            Awaitility.await("the consent text").atMost(10, TimeUnit.SECONDS)
                    .until(() -> rig.on(window).findElement(By.id("consent-agree")).isDisplayed());
            rig.humanClick(rig.on(window).findElement(By.id("consent-agree")));
        }
        Awaitility.await("consent agreed").atMost(10, TimeUnit.SECONDS)
                .until(() -> "agreed".equals(rig.js(window, "return window.improv.consent()")));
        rig.goOnStage(window);
    }

    static JsonNode take(TestClient mo, String type, String take) {
        return mo.await(m -> type.equals(m.path("type").asText()) && take.equals(m.path("take").asText()), type);
    }

    @Test
    void aTakeIsUploadedAcrossAReloadAndItsBeepsArePlacedOnTheTimeline() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Takes\",\"performers\":[\"Ana\"],\"moderators\":[\"Mo\",\"Console\"]}");
        String roomId = room.path("room").path("id").asText();
        JsonNode link = TestServer.link(room, "performer", 0);
        try (TestClient mo = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "moderator", 0)))) {
            String ana = rig.open(rig.pageUrl(link));
            rig.humanClick(rig.on(ana).findElement(By.id("join-button")));
            rig.awaitCheck(ana);
            Awaitility.await("the consent text").atMost(10, TimeUnit.SECONDS)
                    .until(() -> rig.on(ana).findElement(By.id("consent-agree")).isDisplayed());
            rig.screenshot(ana, "stage-consent");
            rig.humanClick(rig.on(ana).findElement(By.id("consent-agree")));
            Awaitility.await("consent agreed").atMost(10, TimeUnit.SECONDS)
                    .until(() -> "agreed".equals(rig.js(ana, "return window.improv.consent()")));
            mo.await(m -> "consent".equals(m.path("type").asText()), "the stage consent event");
            rig.goOnStage(ana);
            String console = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 1)));

            // take 1, idle: uploads held for 3 s, then the page is reloaded with those chunks only in IndexedDB
            rig.js(ana, TRUTH);
            mo.send("{\"type\":\"scene_start\",\"title\":\"Idle\"}");
            String take1 = roomId + "-1";
            Awaitility.await("recording").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> Boolean.TRUE.equals(rig.js(ana, "const t = window.improv.take(); return !!t && t.recording")));
            for (org.openqa.selenium.Dimension size : BrowserRig.SIZES) {
                rig.driver().manage().window().setSize(size);
                rig.screenshot(ana, "stage-recording-" + size.getWidth() + "x" + size.getHeight());
            }
            Thread.sleep(4000);
            List<Double> truth1 = new ArrayList<>(truth(ana));
            rig.js(ana, "window.improv.holdUploads(true)");
            Thread.sleep(3000);
            long held = ((Number) rig.js(ana, "return window.improv.take().pendingChunks")).longValue();
            assertTrue(held >= 4, "chunks waiting while uploads are held: " + held);
            truth1.addAll(truth(ana));
            double[] opened1 = devicesOpened(ana);
            List<Double> truthBefore = List.copyOf(truth1);
            rig.on(ana).navigate().refresh();
            onStage(ana, false);
            rig.js(ana, TRUTH);
            Thread.sleep(3000);
            truth1.addAll(truth(ana));
            mo.send("{\"type\":\"scene_end\"}");
            JsonNode track1 = take(mo, "take_track", take1);
            JsonNode ended1 = take(mo, "take_ended", take1);
            assertTrue(track1.path("complete").asBoolean(), "every chunk arrived, also those held over the reload: "
                    + track1);
            assertTrue(ended1.path("complete").asBoolean(), ended1.toString());
            JsonNode meta1 = ProtocolCodec.mapper().readTree(rig.dataDir().resolve(track1.path("file").asText()
                    .replace(".wav", ".json")).toFile());
            assertEquals(2, meta1.path("segments").size(), "two capture runs: before and after the reload " + meta1);
            Errors idle = compare(track1, truth1);
            // the console, as a moderator sees it: the take complete, Ana's consent and seconds
            Awaitility.await("the console shows the complete take").atMost(10, TimeUnit.SECONDS)
                    .until(() -> String.valueOf(rig.js(console, "return document.getElementById('take-summary')"
                            + ".textContent")).contains("take complete"));
            String row = String.valueOf(rig.js(console, "return document.querySelector('#takes tbody tr')"
                    + ".textContent"));
            assertTrue(row.startsWith("AnaAgreed"), row);
            rig.js(console, "document.getElementById('takes-title').scrollIntoView()");
            for (org.openqa.selenium.Dimension size : BrowserRig.SIZES) {
                rig.driver().manage().window().setSize(size);
                rig.js(console, "document.getElementById('takes-title').scrollIntoView()");
                rig.screenshot(console, "console-takes-" + size.getWidth() + "x" + size.getHeight());
            }
            double[] opened2 = devicesOpened(ana);
            List<Double> trackOnsets1 = new ArrayList<>();
            long pageFirst = track1.path("firstSampleServerUs").asLong() - meta1.path("clockOffsetUs").asLong();
            for (long o : onsets(rig.dataDir().resolve(track1.path("file").asText()))) {
                trackOnsets1.add(pageFirst + o * 1e6 / RATE);
            }
            String implied = impliedStarts("reference before reload", truthBefore, opened1) + "\n"
                    + impliedStarts("track (first segment)", trackOnsets1.subList(0, Math.min(8, trackOnsets1.size())),
                    opened1) + "\n"
                    + impliedStarts("track (after reload)", trackOnsets1.subList(Math.max(0, trackOnsets1.size() - 6),
                    trackOnsets1.size()), opened2);
            System.out.println(implied);

            // take 2: the browser's network is cut for 10 s mid-take; afterwards every chunk is there once, no gap
            mo.send("{\"type\":\"scene_start\",\"title\":\"Cut\"}");
            String take2 = roomId + "-2";
            Thread.sleep(2000);
            rig.browserLink(false);
            try {
                Thread.sleep(10_000);
            } finally {
                rig.browserLink(true);
            }
            Awaitility.await("the page uploads what waited").atMost(60, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> ((Number) rig.js(ana, "return window.improv.take().pendingChunks")).intValue() <= 1);
            mo.send("{\"type\":\"scene_end\"}");
            JsonNode cut = take(mo, "take_track", take2);
            assertTrue(cut.path("complete").asBoolean(), cut.toString());
            JsonNode cutMeta = ProtocolCodec.mapper().readTree(rig.dataDir().resolve(cut.path("file").asText()
                    .replace(".wav", ".json")).toFile());
            assertEquals(1, cutMeta.path("segments").size(), "one capture run: " + cutMeta);
            List<Long> cutOnsets = onsets(rig.dataDir().resolve(cut.path("file").asText()));
            for (int i = 1; i < cutOnsets.size(); i++) {
                assertTrue(cutOnsets.get(i) - cutOnsets.get(i - 1) < 0.6 * RATE, "no gap in the track at beep " + i
                        + ": " + cutOnsets);
            }
            assertTrue(cut.path("samples").asLong() >= 11 * RATE, "the whole take: " + cut);
            Errors cutErrors = compare(cut, truth(ana));

            // take 3: both cores busy (two spinning threads) for the whole take
            AtomicBoolean hog = new AtomicBoolean(true);
            List<Thread> hogs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    long x = 0;
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (hog.get() && System.nanoTime() < until) {
                        x += System.nanoTime() % 7;
                    }
                    if (x == 42) {
                        System.out.print("");
                    }
                }, "cpu-hog-" + i);
                t.setDaemon(true);
                t.start();
                hogs.add(t);
            }
            List<Double> truth2;
            JsonNode track2;
            String load;
            try {
                rig.js(ana, TRUTH);
                mo.send("{\"type\":\"scene_start\",\"title\":\"Loaded\"}");
                Thread.sleep(8000);
                load = Files.readString(Path.of("/proc/loadavg")).trim();
                truth2 = truth(ana);
                mo.send("{\"type\":\"scene_end\"}");
                track2 = take(mo, "take_track", roomId + "-3");
            } finally {
                hog.set(false);
            }
            Errors loaded = compare(track2, truth2);
            JsonNode status = ProtocolCodec.mapper().readTree((String) rig.js(ana,
                    "return JSON.stringify(window.improv.take())"));
            String report = String.format("idle: %d beeps, |error| p50 %.2f ms, max %.2f ms, errors %s, slips %s ms; "
                            + "drift %s ppm, alignErrorUs %s%nunder CPU hog (loadavg %s): %d beeps, |error| p50 %.2f ms, "
                            + "max %.2f ms, errors %s, slips %s ms; drift %s ppm%npage %s", idle.beeps(), idle.p50Ms(),
                    idle.maxMs(), idle.all(), idle.slipsMs(), track1.path("driftPpm"), track1.path("alignErrorUs"),
                    load, loaded.beeps(), loaded.p50Ms(), loaded.maxMs(), loaded.all(), loaded.slipsMs(),
                    track2.path("driftPpm"), status) + "\n" + implied;
            Files.writeString(Files.createDirectories(Path.of("target")).resolve("local-take.log"), report + "\n");
            System.out.println(report);
            report += String.format("%nnetwork cut take: %d beeps, |error| p50 %.2f ms, max %.2f ms, slips %s ms",
                    cutErrors.beeps(), cutErrors.p50Ms(), cutErrors.maxMs(), cutErrors.slipsMs());
            Files.writeString(Path.of("target", "local-take.log"), report + "\n");
            System.out.println(report);
            assertTrue(idle.beeps() + cutErrors.beeps() >= 20, report);
            assertTrue(cutErrors.maxMs() <= 300, report);
            // under the hog the reference's reader misses frames (MediaStreamTrackProcessor drops what it cannot
            // deliver in time), so fewer beeps can be compared
            assertTrue(loaded.beeps() >= 10, report);
            // Issue 17 asks for 10 ms. NOT met: measured here, an offset per capture run between -145 and +27 ms
            // against the reference (constant within the run to 0.1 ms) and 10-20 ms slips where WebAudio's input
            // buffer pads or drops (docs/recording.md, "Accuracy"). The bound catches a broken stamp pipeline (a wrong
            // clock, a lost offset, a misplaced segment: seconds off), not a 10 ms miss.
            assertTrue(idle.maxMs() <= 300, report);
            assertTrue(loaded.maxMs() <= 300, report);
        }
    }
}
