package dev.improv.server.media;

import org.apache.commons.math3.transform.DftNormalization;
import org.apache.commons.math3.transform.FastFourierTransformer;
import org.apache.commons.math3.transform.TransformType;

/**
 * By how many samples a second recording of a sound lags a first: the lag of the largest normalized
 * cross-correlation, found through an FFT, refined to a fraction of a sample by a parabola through the peak and
 * its two neighbours. Used to measure where the server-side recorder placed a performer's sound against the
 * performer's local take (issue 17). Pure; any thread.
 */
public final class CrossCorrelation {
    private CrossCorrelation() {
    }

    /**
     * The best match of {@code reference} inside {@code search}.
     *
     * @param lagSamples where it matched: {@code search[maxLag + lag + i] ≈ reference[i]}; positive = the
     *                   second recording has the sound later than the first
     * @param peak       the normalized correlation there (1 = the same waveform up to a gain; around 0 = unrelated)
     */
    public record Lag(double lagSamples, double peak) {
    }

    /**
     * Searches lags {@code -maxLag…+maxLag}: {@code search} holds the second recording from {@code maxLag} samples
     * before the reference's first sample to {@code maxLag} after its last ({@code reference.length + 2·maxLag}).
     */
    public static Lag lag(float[] reference, float[] search, int maxLag) {
        if (maxLag < 1 || search.length != reference.length + 2 * maxLag) {
            throw new IllegalArgumentException("search must hold reference.length + 2*maxLag samples, got "
                    + search.length + " for " + reference.length + " and " + maxLag);
        }
        int n = Integer.highestOneBit(Math.max(2, search.length - 1)) << 1; // ≥ search.length: no wrap for our lags
        double[][] a = new double[2][n];
        double[][] b = new double[2][n];
        double referenceEnergy = 0;
        for (int i = 0; i < reference.length; i++) {
            a[0][i] = reference[i];
            referenceEnergy += (double) reference[i] * reference[i];
        }
        for (int i = 0; i < search.length; i++) {
            b[0][i] = search[i];
        }
        FastFourierTransformer.transformInPlace(a, DftNormalization.STANDARD, TransformType.FORWARD);
        FastFourierTransformer.transformInPlace(b, DftNormalization.STANDARD, TransformType.FORWARD);
        for (int k = 0; k < n; k++) { // conj(A)·B: the correlation sum_i ref[i]·search[i + j]
            double re = a[0][k] * b[0][k] + a[1][k] * b[1][k];
            double im = a[0][k] * b[1][k] - a[1][k] * b[0][k];
            b[0][k] = re;
            b[1][k] = im;
        }
        FastFourierTransformer.transformInPlace(b, DftNormalization.STANDARD, TransformType.INVERSE);
        // energy of each window of search that a lag compares against (prefix sums)
        double[] prefix = new double[search.length + 1];
        for (int i = 0; i < search.length; i++) {
            prefix[i + 1] = prefix[i] + (double) search[i] * search[i];
        }
        int lags = 2 * maxLag + 1;
        double[] r = new double[lags];
        int best = -1;
        for (int j = 0; j < lags; j++) {
            double energy = prefix[j + reference.length] - prefix[j];
            double norm = Math.sqrt(referenceEnergy * energy);
            r[j] = norm > 0 ? b[0][j] / norm : 0;
            if (best < 0 || r[j] > r[best]) {
                best = j;
            }
        }
        return peakOf(r, best, maxLag, true);
    }

    /**
     * The same search, computed directly over the lags {@code around - halfWidth … around + halfWidth} only (for a
     * lag found at a coarser rate: the work is {@code reference.length · (2·halfWidth + 1)}).
     */
    public static Lag refine(float[] reference, float[] search, int maxLag, int around, int halfWidth) {
        if (maxLag < 1 || search.length != reference.length + 2 * maxLag) {
            throw new IllegalArgumentException("search must hold reference.length + 2*maxLag samples");
        }
        int from = Math.max(-maxLag, around - halfWidth);
        int to = Math.min(maxLag, around + halfWidth);
        double referenceEnergy = 0;
        for (float v : reference) {
            referenceEnergy += (double) v * v;
        }
        double[] r = new double[2 * maxLag + 1];
        int best = -1;
        for (int lag = from; lag <= to; lag++) {
            int j = lag + maxLag;
            double dot = 0;
            double energy = 0;
            for (int i = 0; i < reference.length; i++) {
                double x = search[j + i];
                dot += reference[i] * x;
                energy += x * x;
            }
            double norm = Math.sqrt(referenceEnergy * energy);
            r[j] = norm > 0 ? dot / norm : 0;
            if (best < 0 || r[j] > r[best]) {
                best = j;
            }
        }
        // a neighbour outside the refined range has r = 0: no parabola across it
        return peakOf(r, best, maxLag, best - maxLag > from && best - maxLag < to);
    }

    /** The peak at index {@code best} of correlations indexed by lag + maxLag, refined by a parabola. */
    private static Lag peakOf(double[] r, int best, int maxLag, boolean interpolate) {
        double fraction = 0;
        if (interpolate && best > 0 && best < r.length - 1) {
            double left = r[best - 1];
            double right = r[best + 1];
            double curvature = left - 2 * r[best] + right;
            if (curvature < 0) {
                fraction = 0.5 * (left - right) / curvature;
            }
        }
        return new Lag(best - maxLag + fraction, r[best]);
    }
}
