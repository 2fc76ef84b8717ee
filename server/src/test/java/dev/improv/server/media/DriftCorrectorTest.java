package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The drift corrector against synthetic deliveries: a tone sampled by a clock that runs slow (or fast) against
 * the server's, cut into 480-sample chunks stamped with the server time they were delivered at (plus one-sided
 * scheduling jitter). What comes out must be as long as the time that passed, carry the tone at its true
 * frequency, and have no click (a dropped or repeated sample).
 */
class DriftCorrectorTest {
    static final int RATE = 48_000;
    static final double TONE_HZ = 1_000;
    static final double AMPLITUDE = 12_000;
    static final long T0 = 1_764_633_600_000_000L;

    /** What a run produced: the output, and per chunk the target index against where its first sample landed. */
    record Run(short[] output, double worstErrorMs, double worstErrorAfter3sMs, double spanSeconds,
               double minStretch, double maxStretch, double finalStretch) {
    }

    /**
     * {@code sourceRate}: samples the performer's side produces per server second (48 kHz × (1 - shortfall));
     * chunk {@code k} is delivered at {@code k · 480 / sourceRate} plus up to {@code jitterUs} late, plus
     * {@code stallUs} from {@code stallAtSeconds} on (a pull thread that stalled and never catches up).
     */
    static Run run(double sourceRate, double seconds, long jitterUs, double stallAtSeconds, long stallUs)
            throws IOException {
        ShortCollector out = new ShortCollector();
        DriftCorrector corrector = new DriftCorrector(out, 0);
        Random random = new Random(17);
        int chunks = (int) (seconds * sourceRate / 480);
        double worst = 0;
        double worstAfter3s = 0;
        long firstArrival = 0;
        long lastArrival = 0;
        for (int k = 0; k < chunks; k++) {
            short[] chunk = new short[480];
            for (int i = 0; i < chunk.length; i++) {
                double serverSeconds = (k * 480.0 + i) / sourceRate; // the tone is steady in server time
                chunk[i] = (short) Math.round(AMPLITUDE * Math.sin(2 * Math.PI * TONE_HZ * serverSeconds));
            }
            double idealSeconds = k * 480.0 / sourceRate;
            // when the device pulled it (a stall shifts every later pull) and when the sink saw it (jitter)
            long pulledUs = Math.round(idealSeconds * 1e6) + (idealSeconds >= stallAtSeconds ? stallUs : 0);
            long arrival = T0 + pulledUs + (jitterUs > 0 ? random.nextLong(jitterUs) : 0);
            if (k == 0) {
                firstArrival = arrival;
            }
            lastArrival = arrival;
            // where this chunk's first sample lands against where the server clock says it belongs (the jitter
            // is noise on the stamps, not time that passed)
            double errorMs = (corrector.outputIndexOfNextInput() - pulledUs * RATE / 1e6) / 48.0;
            worst = Math.max(worst, Math.abs(errorMs));
            if (idealSeconds >= 3) {
                worstAfter3s = Math.max(worstAfter3s, Math.abs(errorMs));
            }
            corrector.append(chunk, arrival);
        }
        corrector.flush();
        assertEquals(corrector.outputSamples(), out.size, "every output sample reaches the output");
        double span = (lastArrival - firstArrival) / 1e6 + 480 / sourceRate;
        System.out.printf(java.util.Locale.ROOT, "DRIFT source %.0f Hz: file %.1f ms for %.1f ms, worst index error "
                        + "%.2f ms (after 3 s %.2f ms), stretch %.5f..%.5f%n", sourceRate, out.size / 48.0, span * 1e3,
                worst, worstAfter3s, corrector.minStretch(), corrector.maxStretch());
        return new Run(out.toArray(), worst, worstAfter3s, span, corrector.minStretch(), corrector.maxStretch(),
                corrector.stretch());
    }

    @Test
    void aStreamDelivered2PercentSlowIsStretchedToTheTimeThatPassed() throws Exception {
        Run r = run(0.98 * RATE, 20, 2_000, Double.MAX_VALUE, 0);
        double fileMs = r.output().length / 48.0;
        double timeMs = r.spanSeconds() * 1000;
        assertTrue(Math.abs(fileMs - timeMs) <= 3, "file " + fileMs + " ms for " + timeMs + " ms delivered");
        assertTrue(r.worstErrorMs() <= 15, "index off the server clock by up to " + r.worstErrorMs() + " ms");
        assertTrue(r.worstErrorAfter3sMs() <= 3, "after 3 s off by up to " + r.worstErrorAfter3sMs() + " ms");
        assertEquals(1 / 0.98, r.finalStretch(), 0.001, "stretch settles at the delivery's shortfall");
        assertTrue(r.maxStretch() <= 1 / 0.98 + 0.01, "overshoots little: " + r.maxStretch());
    }

    @Test
    void theToneComesOutAtItsTrueFrequency() throws Exception {
        Run r = run(0.98 * RATE, 20, 2_000, Double.MAX_VALUE, 0);
        // the uncorrected file would carry it at 1000 / 0.98 = 1020.4 Hz
        double hz = frequency(r.output(), 8 * RATE, r.output().length - RATE);
        assertEquals(TONE_HZ, hz, 0.5, "tone frequency in the corrected file");
    }

    @Test
    void noSampleIsDroppedOrRepeated() throws Exception {
        Run r = run(0.98 * RATE, 10, 2_000, Double.MAX_VALUE, 0);
        // the filter starts from silence: skip its first and last 50 ms
        double worst = worstClick(r.output(), 2_400, r.output().length - 2_400);
        assertTrue(worst <= 40, "largest deviation from a smooth tone " + worst);
        // the measure sees a click: the same delivery stretched by repeating samples
        short[] naive = repeatSamples(r.output().length, 1 / 0.98);
        assertTrue(worstClick(naive, 2_400, naive.length - 2_400) > 500, "a repeated sample shows as a click");
    }

    @Test
    void aStreamDeliveredFastIsShortened() throws Exception {
        Run r = run(1.01 * RATE, 15, 2_000, Double.MAX_VALUE, 0);
        double fileMs = r.output().length / 48.0;
        double timeMs = r.spanSeconds() * 1000;
        assertTrue(Math.abs(fileMs - timeMs) <= 3, "file " + fileMs + " ms for " + timeMs + " ms delivered");
        assertEquals(TONE_HZ, frequency(r.output(), 8 * RATE, r.output().length - RATE), 0.5);
    }

    @Test
    void aStallIsCaughtUpSmoothly() throws Exception {
        // 100 ms lost at 5 s (under the writer's 200 ms gap threshold): made up by stretching, not a jump
        Run r = run(0.99 * RATE, 20, 1_000, 5, 100_000);
        double fileMs = r.output().length / 48.0;
        double timeMs = r.spanSeconds() * 1000;
        assertTrue(Math.abs(fileMs - timeMs) <= 5, "file " + fileMs + " ms for " + timeMs + " ms delivered");
        assertTrue(r.maxStretch() <= 1 + DriftCorrector.MAX_STRETCH_DEVIATION + 1e-12, "bounded: " + r.maxStretch());
        double click = worstClick(r.output(), 2_400, r.output().length - 2_400);
        assertTrue(click <= 40, "no click while catching up: " + click);
    }

    @Test
    void aShortfallBeyondTheBoundIsNotChased() throws Exception {
        Run r = run(0.85 * RATE, 10, 0, Double.MAX_VALUE, 0);
        assertEquals(1 + DriftCorrector.MAX_STRETCH_DEVIATION, r.maxStretch(), 1e-12);
        assertTrue(r.output().length < 0.95 * r.spanSeconds() * RATE, "the file stays short, the gap logic fills");
    }

    @Test
    void aRealTimeStreamKeepsItsLengthAndItsSamples() throws Exception {
        ShortCollector out = new ShortCollector();
        DriftCorrector corrector = new DriftCorrector(out, 0);
        short[] all = new short[300 * 480];
        for (int k = 0; k < 300; k++) {
            short[] chunk = new short[480];
            for (int i = 0; i < 480; i++) {
                chunk[i] = (short) Math.round(AMPLITUDE * Math.sin(2 * Math.PI * TONE_HZ * (k * 480 + i) / RATE));
            }
            System.arraycopy(chunk, 0, all, k * 480, 480);
            corrector.append(chunk, T0 + k * 10_000L);
        }
        corrector.flush();
        short[] got = out.toArray();
        assertEquals(all.length, got.length);
        assertEquals(1.0, corrector.maxStretch(), 0);
        int worst = 0;
        for (int i = 100; i < all.length - 100; i++) {
            worst = Math.max(worst, Math.abs(got[i] - all[i]));
        }
        assertTrue(worst <= 3, "a 1 kHz tone passes unchanged (no delay, no gain), off by " + worst);
    }

    @Test
    void theAudibleBandPassesAtUnityGain() throws Exception {
        // a delivery 2 % slow, so the kernel's phases in between samples are used, not only phase 0
        for (double hz : new double[] {100, 5_000, 12_000, 16_000, 18_000}) {
            ShortCollector out = new ShortCollector();
            DriftCorrector corrector = new DriftCorrector(out, 0);
            double inRms = 0;
            int n = 0;
            for (int k = 0; k < 300; k++) {
                short[] chunk = new short[480];
                for (int i = 0; i < 480; i++) {
                    chunk[i] = (short) Math.round(AMPLITUDE * Math.sin(2 * Math.PI * hz * (k * 480 + i) / RATE));
                    inRms += chunk[i] * (double) chunk[i];
                    n++;
                }
                corrector.append(chunk, T0 + k * 10_200L);
            }
            corrector.flush();
            short[] got = out.toArray();
            double outRms = 0;
            for (int i = RATE; i < got.length - 2_400; i++) {
                outRms += got[i] * (double) got[i];
            }
            double gainDb = 10 * Math.log10((outRms / (got.length - 2_400 - RATE)) / (inRms / n));
            assertEquals(0, gainDb, 0.1, hz + " Hz");
        }
    }

    @Test
    void resetStartsANewSegmentAtTheGivenIndex() throws Exception {
        ShortCollector out = new ShortCollector();
        DriftCorrector corrector = new DriftCorrector(out, 0);
        short[] chunk = new short[480];
        Arrays.fill(chunk, (short) 1000);
        for (int k = 0; k < 10; k++) {
            corrector.append(chunk, T0 + k * 10_000L);
        }
        corrector.flush();
        assertEquals(4_800, out.size);
        corrector.reset(10_000);
        assertEquals(10_000, corrector.outputIndexOfNextInput());
        corrector.append(chunk, T0 + 1_000_000);
        corrector.flush();
        assertEquals(4_800 + 480, out.size);
        assertEquals(1000, out.toArray()[4_800 + 240], "DC passes at unity gain");
    }

    /** Frequency from the positive-going zero crossings in {@code [from, to)}, interpolated between samples. */
    static double frequency(short[] x, int from, int to) {
        double first = Double.NaN;
        double last = Double.NaN;
        int crossings = 0;
        for (int n = from; n < to - 1; n++) {
            if (x[n] < 0 && x[n + 1] >= 0) {
                double at = n + (double) -x[n] / (x[n + 1] - x[n]);
                if (crossings == 0) {
                    first = at;
                }
                last = at;
                crossings++;
            }
        }
        return (crossings - 1) / ((last - first) / RATE);
    }

    /**
     * Largest {@code |x[n+1] - c x[n] + x[n-1]|}, with {@code c = 2 cos(ω)} fitted per 5 ms block (least squares):
     * zero for a sine (up to rounding) whatever its frequency, so a stretch that moves the tone's pitch does not
     * count, while a dropped or repeated sample does (about {@code A · ω} ≈ 1,500 here).
     */
    static double worstClick(short[] x, int from, int to) {
        double worst = 0;
        int block = 240;
        for (int b = Math.max(1, from); b + block < Math.min(x.length - 1, to); b += block) {
            double num = 0;
            double den = 0;
            for (int n = b; n < b + block; n++) {
                num += x[n] * (double) (x[n + 1] + x[n - 1]);
                den += x[n] * (double) x[n];
            }
            double c = num / den;
            for (int n = b; n < b + block; n++) {
                worst = Math.max(worst, Math.abs(x[n + 1] - c * x[n] + x[n - 1]));
            }
        }
        return worst;
    }

    /** The 1 kHz tone stretched the click-making way: each output sample copies the nearest earlier input. */
    static short[] repeatSamples(int length, double stretch) {
        short[] out = new short[length];
        for (int j = 0; j < length; j++) {
            long source = (long) Math.floor(j / stretch);
            out[j] = (short) Math.round(AMPLITUDE * Math.sin(2 * Math.PI * TONE_HZ * stretch * source / RATE));
        }
        return out;
    }

    /** Collects what the corrector writes. */
    static final class ShortCollector implements DriftCorrector.Output {
        short[] data = new short[1 << 16];
        int size;

        @Override
        public void write(short[] samples, int offset, int count) {
            if (size + count > data.length) {
                data = Arrays.copyOf(data, Math.max(2 * data.length, size + count));
            }
            System.arraycopy(samples, offset, data, size, count);
            size += count;
        }

        short[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
