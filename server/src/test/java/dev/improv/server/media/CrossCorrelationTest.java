package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CrossCorrelationTest {
    private static final int RATE = 48_000;

    /**
     * A band-limited sound that can be sampled at any time (so a delay of a fraction of a sample is exact): tone
     * bursts of random pitch (200 Hz-4 kHz) under Gaussian envelopes at random times.
     */
    static final class Sound {
        private final double[] at;
        private final double[] hz;
        private final double[] width;

        Sound(long seed, int bursts, double seconds) {
            Random r = new Random(seed);
            at = new double[bursts];
            hz = new double[bursts];
            width = new double[bursts];
            for (int i = 0; i < bursts; i++) {
                at[i] = r.nextDouble() * seconds;
                hz[i] = 200 + r.nextDouble() * 3_800;
                width[i] = 0.005 + r.nextDouble() * 0.02;
            }
        }

        double value(double t) {
            double v = 0;
            for (int i = 0; i < at.length; i++) {
                double x = (t - at[i]) / width[i];
                if (Math.abs(x) < 6) {
                    v += 0.2 * Math.exp(-x * x / 2) * Math.sin(2 * Math.PI * hz[i] * (t - at[i]));
                }
            }
            return v;
        }
    }

    /** The reference from 0 s, and a second recording of the same sound {@code delayS} later, with noise. */
    private static CrossCorrelation.Lag measure(double delayS, double noiseRms, int maxLag) {
        Sound sound = new Sound(17, 40, 1.0);
        float[] reference = new float[RATE];
        for (int i = 0; i < reference.length; i++) {
            reference[i] = (float) sound.value((double) i / RATE);
        }
        Random noise = new Random(5);
        float[] search = new float[reference.length + 2 * maxLag];
        for (int j = 0; j < search.length; j++) {
            double t = (double) (j - maxLag) / RATE; // search[maxLag] is the reference's first instant
            search[j] = (float) (0.7 * sound.value(t - delayS) + noiseRms * noise.nextGaussian());
        }
        return CrossCorrelation.lag(reference, search, maxLag);
    }

    @Test
    void findsALaterSoundAtAPositiveLagToAFractionOfASample() {
        CrossCorrelation.Lag lag = measure(0.012_345, 0, 14_400);
        assertEquals(0.012_345 * RATE, lag.lagSamples(), 0.05, "592.56 samples later");
        assertTrue(lag.peak() > 0.95, "the same waveform at a lower gain, half a sample between: " + lag.peak());
    }

    @Test
    void findsAnEarlierSoundAtANegativeLag() {
        CrossCorrelation.Lag lag = measure(-0.087_6, 0, 14_400);
        assertEquals(-0.087_6 * RATE, lag.lagSamples(), 0.05, "4204.8 samples earlier");
    }

    @Test
    void findsTheLagUnderNoiseAsLoudAsTheSound() {
        Sound sound = new Sound(17, 40, 1.0);
        double rms = 0;
        for (int i = 0; i < RATE; i++) {
            rms += Math.pow(0.7 * sound.value((double) i / RATE), 2);
        }
        rms = Math.sqrt(rms / RATE);
        CrossCorrelation.Lag lag = measure(-0.031_25, rms, 14_400); // 0 dB signal-to-noise
        assertEquals(-0.031_25 * RATE, lag.lagSamples(), 0.5, "1500 samples earlier, under noise");
        assertTrue(lag.peak() > 0.5 && lag.peak() < 0.9, "noise lowers the peak: " + lag.peak());
    }

    @Test
    void aRefinedSearchAroundACoarseLagFindsWhatTheWholeSearchFinds() {
        int maxLag = 14_400;
        Sound sound = new Sound(17, 40, 1.0);
        float[] reference = new float[RATE / 4];
        for (int i = 0; i < reference.length; i++) {
            reference[i] = (float) sound.value((double) i / RATE);
        }
        float[] search = new float[reference.length + 2 * maxLag];
        for (int j = 0; j < search.length; j++) {
            search[j] = (float) sound.value((double) (j - maxLag) / RATE + 0.004_321);
        }
        CrossCorrelation.Lag whole = CrossCorrelation.lag(reference, search, maxLag);
        CrossCorrelation.Lag refined = CrossCorrelation.refine(reference, search, maxLag, -200, 16);
        assertEquals(-0.004_321 * RATE, whole.lagSamples(), 0.05, "207.4 samples earlier");
        assertEquals(whole.lagSamples(), refined.lagSamples(), 1e-6);
        assertEquals(whole.peak(), refined.peak(), 1e-6);
    }

    @Test
    void unrelatedSoundsCorrelateLittle() {
        Sound a = new Sound(1, 40, 1.0);
        Sound b = new Sound(2, 40, 1.0);
        float[] reference = new float[RATE];
        float[] search = new float[RATE + 2 * 4_800];
        for (int i = 0; i < reference.length; i++) {
            reference[i] = (float) a.value((double) i / RATE);
        }
        for (int j = 0; j < search.length; j++) {
            search[j] = (float) b.value((double) j / RATE);
        }
        assertTrue(CrossCorrelation.lag(reference, search, 4_800).peak() < 0.5);
    }

    @Test
    void refusesASearchOfTheWrongLength() {
        assertThrows(IllegalArgumentException.class, () -> CrossCorrelation.lag(new float[10], new float[12], 2));
    }
}
