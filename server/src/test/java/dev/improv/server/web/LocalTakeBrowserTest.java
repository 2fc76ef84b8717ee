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
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;

/**
 * Issue 17: the performer page records its own microphone (a WAV the test makes, with beeps at known times, played
 * by Chromium's fake capture device), uploads it chunk by chunk, and the server assembles the take on its
 * timeline. Each beep onset of the assembled track is compared, in server time, with the capture device's own
 * timestamp of the same beep, put on the server's clock by the test alone ({@link PageClock}: DevTools'
 * navigation start on CLOCK_MONOTONIC and the test's own time sync with the server), so the page's clock mapping,
 * its time sync and the server's alignment are all inside the measured error. Issue 17 asks for 10 ms: asserted,
 * idle and while two spinning processes keep both cores busy, and the capture path's own part within 1 ms. The
 * errors are printed and written to {@code target/local-take.log}. Mid-take the uploads are held (as if the server
 * could not be reached) and the page is reloaded: the chunks in IndexedDB are uploaded afterwards and the take is
 * complete. In the next take the browser's network is cut for 10 s: every chunk arrives once afterwards and the
 * track has no gap. A last take uses the AudioWorklet fallback (for browsers without MediaStreamTrackProcessor):
 * bounded at 300 ms, as measured (docs/recording.md). The room also has the server-side media recorder: its
 * onsets of the same beeps, through its sync points, are printed next to the local take's (not asserted: it is
 * the backup, and its own end-to-end test bounds it).
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class LocalTakeBrowserTest {
    static final int RATE = 48_000;
    /** Beeps: 60 ms of 1 kHz at half scale every 500 ms, from 0.25 s; the file loops. */
    static final double BEEP_EVERY_S = 0.5;
    /**
     * The take's cross-correlation offset against the server-side peer's median beep error (both medians), or a
     * quarter of the peer's median |error| when that is larger.
     */
    static final double BACKUP_AGREEMENT_MS = 10;

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

    /**
     * Collects the capture device's own timestamps of every beep onset on the page's microphone (test code only):
     * {@code AudioData.timestamp}s on the page's {@code performance.now()} time base, raw (µs), and whether the
     * reader missed frames.
     */
    static final String TRUTH = """
            window.__truth = { raw: [], gaps: 0 };
            const proc = new MediaStreamTrackProcessor({ track: window.improv.micTrack().clone(), maxBufferSize: 300 });
            const reader = proc.readable.getReader();
            let quiet = 0;
            let next = null;
            (async () => { for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              const n = value.numberOfFrames;
              if (next !== null && value.timestamp - next > 5000) window.__truth.gaps++;
              next = value.timestamp + n * 1e6 / value.sampleRate;
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

    /**
     * The test's own clock reference, independent of the page's clock mapping, its time sync and the server's
     * alignment: Chromium stamps {@code AudioData} on {@code performance.now()}, whose zero is the document's
     * navigation start on {@code CLOCK_MONOTONIC} (DevTools' {@code Performance.getMetrics} NavigationStart);
     * the server's clock is this JVM's {@code System.nanoTime()} (the same clock) plus a constant that the test
     * measures with its own time-sync exchanges. So a device stamp {@code ts} was captured at server µs
     * {@code navigationStartMonoUs + ts + serverMinusMonoUs}.
     */
    record PageClock(long navigationStartMonoUs, double timeOriginUs, long serverMinusMonoUs) {
        double serverUs(double deviceStampUs) {
            return navigationStartMonoUs + deviceStampUs + serverMinusMonoUs;
        }

        /** The true server − page clock offset (what the page's time sync estimates). */
        double trueOffsetUs() {
            return navigationStartMonoUs + serverMinusMonoUs - timeOriginUs;
        }
    }

    /** server µs − System.nanoTime() µs, from the best of 8 time syncs of the test's own socket. */
    static long serverMinusMonoUs(TestClient client) {
        long best = Long.MAX_VALUE;
        long value = 0;
        for (int i = 0; i < 8; i++) {
            long sent = System.nanoTime();
            long id = sent / 1000;
            client.send("{\"type\":\"time_sync\",\"clientTs\":" + id + "}");
            java.util.function.Predicate<JsonNode> reply = m -> "time_sync".equals(m.path("type").asText())
                    && m.path("clientTs").asLong() == id;
            long arrived = client.awaitArrival(reply, "time_sync reply");
            JsonNode r = client.await(reply, "time_sync reply");
            long rtt = arrived - sent;
            if (rtt < best) {
                best = rtt;
                value = (r.path("serverRecvTs").asLong() + r.path("serverSendTs").asLong()) / 2 - (sent + arrived) / 2000;
            }
        }
        System.out.println("test's time sync with the server: best round trip " + best / 1000 + " µs");
        return value;
    }

    static PageClock pageClock(String window, long serverMinusMonoUs) throws Exception {
        return pageClock(rig, window, serverMinusMonoUs);
    }

    /** The same for a window of another test's rig. */
    static PageClock pageClock(BrowserRig rig, String window, long serverMinusMonoUs) throws Exception {
        rig.cdp(window, "Performance.enable");
        JsonNode metrics = rig.cdp(window, "Performance.getMetrics").path("metrics");
        long nav = -1;
        for (JsonNode m : metrics) {
            if ("NavigationStart".equals(m.path("name").asText())) {
                nav = Math.round(m.path("value").asDouble() * 1e6);
            }
        }
        assertTrue(nav > 0, "DevTools gives NavigationStart: " + metrics);
        double origin = ((Number) rig.js(window, "return performance.timeOrigin")).doubleValue() * 1000;
        return new PageClock(nav, origin, serverMinusMonoUs);
    }

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

    /** The beeps the device captured since TRUTH was put into the page, as server µs by the test's reference. */
    @SuppressWarnings("unchecked")
    static List<Double> truth(String window, PageClock clock) {
        List<Object> raw = (List<Object>) rig.js(window, "const t = window.__truth; return t ? t.raw : []");
        return raw.stream().map(o -> clock.serverUs(((Number) o).doubleValue())).toList();
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

    /** When the page opened its devices: the getUserMedia call and its answer, as server µs by the reference. */
    @SuppressWarnings("unchecked")
    static double[] devicesOpened(String window, PageClock clock) {
        List<Object> w = (List<Object>) rig.js(window, "return window.improv.devicesOpened()");
        if (w == null) {
            return null;
        }
        return new double[] {((Number) w.get(0)).doubleValue() + clock.trueOffsetUs(),
                ((Number) w.get(1)).doubleValue() + clock.trueOffsetUs()};
    }

    /**
     * @param errorsMs each onset of the track against the reference's nearest beep, server times (the number)
     * @param timeSyncErrorMs the clock offset the server used minus the true one: the part of each error that is
     *                        the time sync's
     * @param slipsMs beep spacings in the track that are not 500 ms (reference-free)
     */
    record Errors(int beeps, double p50Ms, double maxMs, List<Double> errorsMs, double timeSyncErrorMs,
                  List<Double> slipsMs) {
        String line(String label) {
            return String.format("%s: %d beeps, |error| p50 %.2f ms, max %.2f ms (of it the time sync's %.2f ms); "
                    + "slips %s ms; errors %s", label, beeps, p50Ms, maxMs, timeSyncErrorMs, slipsMs, errorsMs.stream().map(e -> Math.round(e * 100) / 100.0).toList());
        }
    }

    /** Each onset of the assembled track against the nearest beep of the reference (they are 500 ms apart). */
    static Errors compare(JsonNode track, List<Double> truthServerUs, PageClock clock) throws IOException {
        Path wav = rig.dataDir().resolve(track.path("file").asText());
        JsonNode meta = ProtocolCodec.mapper().readTree(wav.resolveSibling(wav.getFileName().toString()
                .replace(".wav", ".json")).toFile());
        long first = track.path("firstSampleServerUs").asLong();
        List<Long> on = onsets(wav);
        List<Double> errors = new ArrayList<>();
        for (long s : on) {
            double at = first + s * 1e6 / RATE;
            double best = Double.MAX_VALUE;
            for (double t : truthServerUs) {
                if (Math.abs(at - t) < Math.abs(best)) {
                    best = at - t;
                }
            }
            if (Math.abs(best) < BEEP_EVERY_S * 1e6 / 2) {
                errors.add(best / 1000.0);
            }
        }
        Files.copy(wav, Path.of("target", "local-take-" + track.path("take").asText() + ".wav"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<Double> abs = errors.stream().map(Math::abs).sorted().toList();
        List<Double> slips = new ArrayList<>();
        for (int i = 1; i < on.size(); i++) {
            double gapMs = (on.get(i) - on.get(i - 1)) * 1000.0 / RATE - BEEP_EVERY_S * 1000;
            // a slip: the spacing off by whole device buffers (10 ms); smaller is onset jitter (the page asks for
            // noise suppression and gain control, which shape a beep's first milliseconds); a reload's gap is not one
            if (Math.abs(gapMs) > 5 && Math.abs(gapMs) < 250) {
                slips.add(Math.round(gapMs * 100) / 100.0);
            }
        }
        double timeSyncError = (meta.path("clockOffsetUs").asLong() - clock.trueOffsetUs()) / 1000.0;
        return new Errors(errors.size(), abs.isEmpty() ? Double.NaN : abs.get(abs.size() / 2),
                abs.isEmpty() ? Double.NaN : abs.get(abs.size() - 1), errors, timeSyncError, slips);
    }

    /**
     * The server-side media recorder's onsets of the same performer (every segment of its files), as server µs
     * through their sync points, each against the reference's nearest beep: the backup's error in the same run.
     */
    static String serverSidePeer(List<JsonNode> tracks, List<List<Double>> truthPerTake, List<String> disagreements)
            throws IOException {
        String pid = tracks.get(0).path("participant").asText();
        List<Double> onsetsUs = new ArrayList<>();
        try (var dirs = Files.list(rig.dataDir().resolve("sessions"))) {
            for (Path session : (Iterable<Path>) dirs::iterator) {
                Path media = session.resolve("media");
                if (!Files.isDirectory(media)) {
                    continue;
                }
                try (var files = Files.list(media)) {
                    for (Path wav : (Iterable<Path>) files::iterator) {
                        String name = wav.getFileName().toString();
                        Path sync = wav.resolveSibling(name.replace(".wav", ".sync.jsonl"));
                        if (name.startsWith(pid) && name.endsWith(".wav") && Files.isRegularFile(sync)
                                && !dev.improv.server.media.MediaFiles.lines(sync).isEmpty()) {
                            var timeline = dev.improv.server.media.MediaFiles.timeline(sync);
                            for (long s : onsets(wav)) {
                                onsetsUs.add((double) timeline.serverMicros(s));
                            }
                        }
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder("server-side peer (same run, same reference):");
        String[] labels = {"idle", "network cut", "two spinning processes"};
        for (int k = 0; k < truthPerTake.size(); k++) {
            List<Double> truth = truthPerTake.get(k);
            if (truth.isEmpty()) {
                continue;
            }
            // the take's own time, as its local track covers it
            double from = tracks.get(k).path("firstSampleServerUs").asDouble();
            double to = from + tracks.get(k).path("samples").asDouble() * 1e6 / RATE;
            List<Double> abs = new ArrayList<>();
            List<Double> signed = new ArrayList<>();
            for (double at : onsetsUs) {
                if (at < from || at > to) {
                    continue;
                }
                double best = Double.MAX_VALUE;
                for (double t : truth) {
                    if (Math.abs(at - t) < Math.abs(best)) {
                        best = at - t;
                    }
                }
                if (Math.abs(best) < BEEP_EVERY_S * 1e6 / 2) { // else a beep the reference did not read (a reload)
                    abs.add(Math.abs(best) / 1000);
                    signed.add(best / 1000);
                }
            }
            abs.sort(null);
            signed.sort(null);
            double signedMedian = signed.isEmpty() ? Double.NaN : signed.get(signed.size() / 2);
            out.append(String.format(" %s: %d beeps, |error| p50 %.1f ms, max %.1f ms, signed median %+.1f ms;",
                    labels[k], abs.size(), abs.isEmpty() ? Double.NaN : abs.get(abs.size() / 2),
                    abs.isEmpty() ? Double.NaN : abs.get(abs.size() - 1), signedMedian));
            // the take's own cross-correlation with this recording (BackupAlignment, at assembly): the local take is
            // within ~1 ms of the reference, so the backup's offset must be the peer's own error against it
            JsonNode backup = backupOf(tracks.get(k));
            out.append(" cross-correlation ").append(backup);
            // compared only where both medians are well sampled: the peer's placement can be bimodal (−35 and +20 ms
            // in one take), and a median of 7 windows against one of 9 beeps once picked different modes (the take
            // with the network cut, 18:50 UTC: −33.4 against −15.0 ms); the cut take often has fewer of either
            if (signed.size() >= 15 && !backup.path("offsetUs").canConvertToLong()) {
                disagreements.add(labels[k] + ": no cross-correlation offset although the peer recorded "
                        + signed.size() + " beeps: " + backup);
            } else if (signed.size() >= 15 && backup.path("windows").asInt() >= 10) {
                if (!backup.path("offsetUs").canConvertToLong()) {
                    disagreements.add(labels[k] + ": no cross-correlation offset although the peer recorded "
                            + signed.size() + " beeps: " + backup);
                } else if (Math.abs(backup.path("offsetUs").asLong() / 1000.0 - signedMedian) > Math.max(
                        BACKUP_AGREEMENT_MS, abs.get(abs.size() / 2) / 4)) {
                    // a quarter of the peer's own typical error: at loadavg 29 its beeps were off by p50 130 ms
                    // (spread ±240 ms) and two medians of 10 windows and 16 beeps differed by 23 ms
                    disagreements.add(String.format("%s: cross-correlation %.1f ms, the peer's beeps %+.1f ms",
                            labels[k], backup.path("offsetUs").asLong() / 1000.0, signedMedian));
                }
            }
        }
        return out.toString();
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

    /**
     * Waits up to 30 s for a take event: the server assembles the tracks on its takes thread when the scene ended and
     * the last chunks arrived (a guard against a hung server, not a speed check).
     */
    /**
     * The track's cross-correlation with the server-side recording ({@code backup} in its JSON): measured on the
     * takes-analysis thread after the track's {@code take_track}, so it is waited for (up to 30 s).
     */
    static JsonNode backupOf(JsonNode track) {
        java.nio.file.Path json = rig.dataDir().resolve(track.path("file").asText().replace(".wav", ".json"));
        JsonNode[] meta = new JsonNode[1];
        Awaitility.await("the comparison with the server-side recording in " + json).atMost(30, TimeUnit.SECONDS)
                .pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
                    meta[0] = ProtocolCodec.mapper().readTree(json.toFile());
                    return meta[0].has("backup");
                });
        return meta[0].path("backup");
    }

    static JsonNode take(TestClient mo, String type, String take) {
        return mo.await(m -> type.equals(m.path("type").asText()) && take.equals(m.path("take").asText()), type, 30);
    }

    /**
     * Where the device runs at another rate than the take's 48 kHz (Chromium's fake device gives 44.1 kHz when the
     * page asks for no audio processing), take-capture.js resamples: in the browser, a 1 kHz tone comes out as
     * the same tone at 48 kHz, and an impulse at input sample 1323 (30 ms) lands on output sample 1440 (30 ms):
     * the stamps need no correction.
     */
    @Test
    void theResamplerKeepsTheSignalAndItsTimes() {
        String w = rig.open(rig.base() + "/index.html");
        @SuppressWarnings("unchecked")
        List<Number> r = (List<Number>) rig.js(w, """
                return import('/js/take-capture.js').then(({ Resampler }) => {
                  const inRate = 44100, outRate = 48000, tone = new Resampler(inRate, outRate);
                  const x = new Float32Array(inRate);
                  for (let i = 0; i < x.length; i++) x[i] = Math.sin(2 * Math.PI * 1000 * i / inRate);
                  const out = [];
                  for (let i = 0; i < x.length; i += 441) out.push(...tone.push(x.subarray(i, i + 441)));
                  let err = 0;
                  for (let j = 100; j < out.length; j++) err = Math.max(err, Math.abs(out[j] - Math.sin(2 * Math.PI * 1000 * j / outRate)));
                  const impulse = new Float32Array(4410);
                  impulse[1323] = 1;
                  const o = new Resampler(inRate, outRate).push(impulse);
                  let peak = 0;
                  for (let j = 1; j < o.length; j++) if (o[j] > o[peak]) peak = j;
                  return [out.length, err, peak];
                });""");
        assertTrue(r.get(0).intValue() >= 48_000 - 20, "all but the last outputs (they wait for their neighbours): " + r);
        assertTrue(r.get(1).doubleValue() < 1e-3, "the tone's largest error: " + r);
        assertEquals(1440, r.get(2).intValue(), "the impulse's output sample: " + r);
    }

    /** Two spinning processes (bounded at 30 s by timeout(1)), stopped by their PIDs. */
    static List<Process> cpuHogs() throws IOException {
        List<Process> hogs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            hogs.add(new ProcessBuilder("timeout", "30", "sh", "-c", "while :; do :; done").start());
        }
        return hogs;
    }

    static void stop(List<Process> hogs) throws InterruptedException {
        for (Process p : hogs) {
            p.destroy(); // SIGTERM to timeout's PID, which passes it on to its shell
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTakeIsUploadedAcrossAReloadAndItsBeepsArePlacedOnTheTimeline() throws Exception {
        // recordMedia: the server-side peer records the same microphone, measured against the same reference
        JsonNode room = rig.createRoom("{\"name\":\"Takes\",\"performers\":[\"Ana\"],\"moderators\":[\"Mo\",\"Console\"],"
                + "\"recordMedia\":true}");
        String roomId = room.path("room").path("id").asText();
        JsonNode link = TestServer.link(room, "performer", 0);
        try (TestClient mo = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "moderator", 0)))) {
            long serverMinusMono = serverMinusMonoUs(mo);
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
            PageClock page1 = pageClock(ana, serverMinusMono);
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
            rig.js(ana, "window.improv.holdUploads(true)");
            Thread.sleep(3000);
            long held = ((Number) rig.js(ana, "return window.improv.take().pendingChunks")).longValue();
            assertTrue(held >= 4, "chunks waiting while uploads are held: " + held);
            List<Double> truth1 = new ArrayList<>(truth(ana, page1));
            String capture1 = String.valueOf(rig.js(ana, "return JSON.stringify(window.improv.take().capture)"));
            double[] opened1 = devicesOpened(ana, page1);
            List<Double> truthBefore = List.copyOf(truth1);
            rig.on(ana).navigate().refresh();
            onStage(ana, false);
            PageClock page2 = pageClock(ana, serverMinusMono);
            rig.js(ana, TRUTH);
            Thread.sleep(3000);
            truth1.addAll(truth(ana, page2));
            mo.send("{\"type\":\"scene_end\"}");
            JsonNode track1 = take(mo, "take_track", take1);
            JsonNode ended1 = take(mo, "take_ended", take1);
            assertTrue(track1.path("complete").asBoolean(), "every chunk arrived, also those held over the reload: "
                    + track1);
            assertTrue(ended1.path("complete").asBoolean(), ended1.toString());
            JsonNode meta1 = ProtocolCodec.mapper().readTree(rig.dataDir().resolve(track1.path("file").asText()
                    .replace(".wav", ".json")).toFile());
            assertEquals(2, meta1.path("segments").size(), "two capture runs: before and after the reload " + meta1);
            Errors idle = compare(track1, truth1, page1);
            // the console, as a moderator sees it: the take complete, Ana's consent and seconds
            Awaitility.await("the console shows the complete take").atMost(10, TimeUnit.SECONDS)
                    .until(() -> String.valueOf(rig.js(console, "return document.getElementById('take-summary')"
                            + ".textContent")).contains("take complete"));
            String row = String.valueOf(rig.js(console, "return document.querySelector('#takes tbody tr')"
                    + ".textContent"));
            assertTrue(row.startsWith("AnaAgreed"), row);
            for (org.openqa.selenium.Dimension size : BrowserRig.SIZES) {
                rig.driver().manage().window().setSize(size);
                rig.js(console, "document.getElementById('takes-title').scrollIntoView()");
                rig.screenshot(console, "console-takes-" + size.getWidth() + "x" + size.getHeight());
            }
            // the reference checked against the fake device's start: it plays the file from when the page opened
            // the devices, so each beep implies a start time (modulo 500 ms) that must lie in that window
            String implied = impliedStarts("reference before reload", truthBefore, opened1);

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
            List<Double> truth2 = truth(ana, page2);
            Errors cutErrors = compare(cut, truth2, page2);

            // take 3: both cores busy (two spinning processes) for the whole take
            List<Double> truth3;
            JsonNode track3;
            String load;
            List<Process> hogs = cpuHogs();
            try {
                rig.js(ana, TRUTH);
                mo.send("{\"type\":\"scene_start\",\"title\":\"Loaded\"}");
                Thread.sleep(11_000); // 22 beeps: the issue asks for at least 20
                load = Files.readString(Path.of("/proc/loadavg")).trim();
                truth3 = truth(ana, page2);
                mo.send("{\"type\":\"scene_end\"}");
                track3 = take(mo, "take_track", roomId + "-3");
            } finally {
                stop(hogs);
            }
            Errors loaded = compare(track3, truth3, page2);
            String status = String.valueOf(rig.js(ana, "const t = window.improv.take(); return JSON.stringify("
                    + "{capture: t.capture, dropped: t.dropped, duplicates: t.duplicates})"));

            // take 4: the fallback (an AudioWorklet, for browsers without MediaStreamTrackProcessor), idle
            rig.js(ana, "window.improv.preferCapture('worklet')");
            rig.js(ana, TRUTH);
            mo.send("{\"type\":\"scene_start\",\"title\":\"Fallback\"}");
            Thread.sleep(6000);
            List<Double> truth4 = truth(ana, page2);
            String capture4 = String.valueOf(rig.js(ana, "return JSON.stringify(window.improv.take().capture)"));
            mo.send("{\"type\":\"scene_end\"}");
            JsonNode track4 = take(mo, "take_track", roomId + "-4");
            Errors fallback = compare(track4, truth4, page2);
            long truthGaps = ((Number) rig.js(ana, "return window.__truth.gaps")).longValue();
            List<String> backupDisagreements = new ArrayList<>();
            String report = String.join("\n", idle.line("idle (with a reload)"), cutErrors.line("network cut 10 s"),
                    loaded.line("two spinning processes, loadavg " + load), fallback.line("fallback " + capture4),
                    "drift ppm idle/cut/loaded: " + track1.path("driftPpm") + " / " + cut.path("driftPpm") + " / "
                            + track3.path("driftPpm") + "; alignErrorUs " + track1.path("alignErrorUs") + " / "
                            + cut.path("alignErrorUs") + " / " + track3.path("alignErrorUs"),
                    "page: first run " + capture1 + ", now " + status + "; reference reader missed frames "
                            + truthGaps + " times under load",
                    "true server - page clock offset " + Math.round(page1.trueOffsetUs()) + " µs; the page's: "
                            + meta1.path("clockOffsetUs") + " µs (round trip " + meta1.path("clockRttUs") + " µs)",
                    implied, serverSidePeer(List.of(track1, cut, track3), List.of(truth1, truth2, truth3),
                            backupDisagreements));
            Files.writeString(Files.createDirectories(Path.of("target")).resolve("local-take.log"), report + "\n");
            System.out.println(report);
            assertTrue(backupDisagreements.isEmpty(), "the take's cross-correlation with the server-side recording "
                    + "against the peer's own beep errors: " + backupDisagreements + "\n" + report);
            assertTrue(idle.beeps() + cutErrors.beeps() >= 20, report);
            assertTrue(idle.beeps() >= 20 && loaded.beeps() >= 20, "issue 17: at least 20 beeps idle and under load "
                    + report);
            assertTrue(fallback.beeps() >= 8, report);
            for (Errors e : List.of(idle, cutErrors, loaded)) {
                // issue 17: within 10 ms of the server times, idle and under load (measured: under 0.3 ms)
                assertTrue(e.maxMs() <= 10, report);
                // the capture path's own part (against the device's stamps on the page clock): measured <= 0.1 ms
                for (double error : e.errorsMs()) {
                    assertTrue(Math.abs(error - e.timeSyncErrorMs()) <= 1, report);
                }
            }
            assertTrue(capture1.contains("\"processor\"") && status.contains("\"processor\""), report);
            assertTrue(capture4.contains("\"worklet\""), report);
            // the track says which capture its samples came from (the dataset export carries it)
            assertEquals("processor", meta1.path("capture").asText(), meta1.toString());
            assertEquals("worklet", ProtocolCodec.mapper().readTree(rig.dataDir().resolve(track4.path("file").asText()
                    .replace(".wav", ".json")).toFile()).path("capture").asText());
            // the server's alignErrorUs bounds what the time sync added (the rest it cannot see)
            assertTrue(Math.abs(idle.timeSyncErrorMs()) * 1000 <= track1.path("alignErrorUs").asLong(), report);
            assertTrue(Math.abs(loaded.timeSyncErrorMs()) * 1000 <= track3.path("alignErrorUs").asLong(), report);
            // the fallback follows WebAudio's render clock: an offset of its own per AudioContext (docs/recording.md)
            assertTrue(fallback.maxMs() <= 300, report);
        }
    }
}
