package dev.improv.server.media;

import java.io.IOException;

/**
 * Resamples one stream of received 48 kHz audio so that the count of samples written follows the server clock,
 * not the headless audio device's pull clock.
 *
 * <p>Why: libwebrtc's headless device pulls 10 ms every 10 ms <em>after</em> the previous pull finished (a
 * relative sleep, millisecond granularity, no catch-up), so it pulls 0.5-2.3 % fewer samples than the time that
 * passes, more under load. webrtc-java 0.14 gives no way to drive that pull ourselves (its device modules are
 * native; there is no Java-side device), so the correction is made here, on the writer thread.
 *
 * <p>How: chunk {@code k} starts at input sample {@code s_k} and was delivered at server time {@code a_k}. Its
 * target output index is {@code outAtStart + (a_k - a_0) · 48 kHz}. The stretch (output samples per input
 * sample) is the rate seen over the last {@link #RATE_WINDOW_US} (delivered samples against server time) plus
 * a term that makes up the current position error over {@link #CATCH_UP_SECONDS} (itself bounded to
 * {@link #MAX_CATCH_UP}); it is bounded to
 * {@code 1 ± }{@link #MAX_STRETCH_DEVIATION} and smoothed with a time constant of {@link #SMOOTHING_SECONDS},
 * so it changes slowly and never jumps. The resampler is band-limited: a Kaiser-windowed sinc of
 * {@code 2 · }{@link #HALF_TAPS} taps, {@link #PHASES} precomputed phases with linear interpolation between
 * neighbouring phases; cut-off {@link #CUTOFF} of the input rate, so a stretch below 1 does not alias audible
 * content (Opus is band-limited to 20 kHz). No sample is dropped or repeated. At stretch exactly 1 the output is
 * the input low-passed at 21.6 kHz (flat to about 19 kHz): inaudible, and the sample
 * count is unchanged.
 *
 * <p>Cost: 2 × 48 multiply-adds per output sample, about 5 M per second per performer. Writer thread only.
 */
final class DriftCorrector {
    static final int RATE = 48_000;
    static final int HALF_TAPS = 24;
    static final int PHASES = 256;
    /** Cycles per input sample: 21.6 kHz at 48 kHz. */
    static final double CUTOFF = 0.45;
    static final double KAISER_BETA = 8.0;
    /**
     * The device's shortfall was 0.5-2.3 % (issue 17), 4.2 % on average over a run with the 2-core machine
     * overloaded (loadavg 7): the bound leaves room to catch up on top of that. Beyond it the file falls behind and
     * the writer's gap logic fills silence once it is 200 ms late.
     */
    static final double MAX_STRETCH_DEVIATION = 0.10;
    /** The rate is measured over this much of the latest delivery: long enough to average scheduling jitter. */
    static final long RATE_WINDOW_US = 4_000_000;
    /** Below this much history the rate estimate is too noisy: the previous stretch is kept. */
    static final long MIN_RATE_WINDOW_US = 500_000;
    /** A position error is made up over about this long (a proportional term on top of the rate). */
    static final double CATCH_UP_SECONDS = 1.0;
    /**
     * The catch-up term's own bound: a stall (pulls that lost 100 ms) is made up over seconds at a few per cent,
     * not in one second at ten; the rate term alone may use the whole {@link #MAX_STRETCH_DEVIATION}.
     */
    static final double MAX_CATCH_UP = 0.03;
    /** Time constant of the stretch's low-pass, so that chunk-to-chunk jitter does not wobble the pitch. */
    static final double SMOOTHING_SECONDS = 0.2;

    /** Where the written samples go (the WAV file and the VAD). */
    interface Output {
        void write(short[] samples, int offset, int count) throws IOException;
    }

    /** {@code KERNEL[p][j]}: weight of input {@code floor(pos) - HALF_TAPS + 1 + j} at fraction {@code p / PHASES}. */
    private static final float[][] KERNEL = kernel();

    private final Output output;
    private final short[] outBuffer = new short[4_096];
    private int outCount;

    /** Input samples of this segment, {@code buffer[0]} is input index {@code bufferStart} (may be negative: zeros). */
    private float[] buffer = new float[8_192];
    private long bufferStart;
    /** Input index one past the last sample appended (virtual zeros of a flush not counted). */
    private long inputEnd;
    private long bufferEnd;
    /** Position of the next output sample in input samples: {@code readIndex + readFraction}. */
    private long readIndex;
    private double readFraction;
    /** Output index (in the file) of the next sample produced. */
    private long outputIndex;
    private double stretch = 1.0;

    /** Segment reference: output index of input sample 0 and the server time it was delivered at. */
    private long referenceOutput;
    private long referenceArrivalUs = Long.MIN_VALUE;
    /** Ring of (arrival, input start) of the chunks of the last {@link #RATE_WINDOW_US}. */
    private final long[] historyArrivalUs = new long[1_024];
    private final long[] historyInput = new long[1_024];
    private int historyHead;
    private int historySize;

    private long inputSamplesTotal;
    private long outputSamplesTotal;
    private double minStretch = Double.NaN;
    private double maxStretch = Double.NaN;

    /** {@code firstOutputIndex}: the file index the first sample produced will have. */
    DriftCorrector(Output output, long firstOutputIndex) {
        this.output = output;
        reset(firstOutputIndex);
    }

    /**
     * Starts a new segment whose first output sample will be file index {@code firstOutputIndex} (after a gap or
     * a new stream; call {@link #flush()} first). The stretch carries over: the device clock is the same.
     */
    void reset(long firstOutputIndex) {
        bufferStart = -HALF_TAPS;
        bufferEnd = 0;
        inputEnd = 0;
        java.util.Arrays.fill(buffer, 0, HALF_TAPS, 0f);
        readIndex = 0;
        readFraction = 0;
        outputIndex = firstOutputIndex;
        referenceOutput = firstOutputIndex;
        referenceArrivalUs = Long.MIN_VALUE;
        historySize = 0;
    }

    /** The file index that the next input sample appended will land on (for sync points). */
    long outputIndexOfNextInput() {
        return outputIndex + Math.round((inputEnd - (readIndex + readFraction)) * stretch);
    }

    /** Appends one delivered chunk and writes every output sample it completes. */
    void append(short[] samples, long arrivalUs) throws IOException {
        if (samples.length == 0) {
            return;
        }
        if (referenceArrivalUs == Long.MIN_VALUE) {
            referenceArrivalUs = arrivalUs;
        }
        updateStretch(arrivalUs, samples.length);
        ensureCapacity(samples.length);
        int at = (int) (bufferEnd - bufferStart);
        for (int i = 0; i < samples.length; i++) {
            buffer[at + i] = samples[i];
        }
        bufferEnd += samples.length;
        inputEnd += samples.length;
        inputSamplesTotal += samples.length;
        produce(inputEnd);
    }

    /** Writes what the filter still holds (the segment's last {@link #HALF_TAPS} samples), padding with zeros. */
    void flush() throws IOException {
        if (inputEnd == 0) {
            return;
        }
        ensureCapacity(HALF_TAPS);
        int at = (int) (bufferEnd - bufferStart);
        java.util.Arrays.fill(buffer, at, at + HALF_TAPS, 0f);
        bufferEnd += HALF_TAPS;
        produce(inputEnd);
        // bufferEnd stays past the zeros; reset() must follow before more input
    }

    private void updateStretch(long arrivalUs, int chunkSamples) {
        long inputStart = inputEnd;
        // the window: drop what is older than RATE_WINDOW_US
        while (historySize > 0 && arrivalUs - historyArrivalUs[historyHead] > RATE_WINDOW_US) {
            historyHead = (historyHead + 1) % historyArrivalUs.length;
            historySize--;
        }
        if (historySize == historyArrivalUs.length) {
            historyHead = (historyHead + 1) % historyArrivalUs.length;
            historySize--;
        }
        int tail = (historyHead + historySize) % historyArrivalUs.length;
        historyArrivalUs[tail] = arrivalUs;
        historyInput[tail] = inputStart;
        historySize++;

        long oldestUs = historyArrivalUs[historyHead];
        long oldestInput = historyInput[historyHead];
        long spanUs = arrivalUs - oldestUs;
        double rateStretch = stretch;
        if (spanUs >= MIN_RATE_WINDOW_US && inputStart > oldestInput) {
            rateStretch = (spanUs * (double) RATE) / ((inputStart - oldestInput) * 1e6);
        }
        double targetIndex = referenceOutput + (arrivalUs - referenceArrivalUs) * (double) RATE / 1e6;
        double predictedIndex = outputIndex + (inputStart - (readIndex + readFraction)) * stretch;
        double errorSamples = targetIndex - predictedIndex;
        double catchUp = Math.max(-MAX_CATCH_UP, Math.min(MAX_CATCH_UP, errorSamples / (CATCH_UP_SECONDS * RATE)));
        double wanted = rateStretch + catchUp;
        wanted = Math.max(1 - MAX_STRETCH_DEVIATION, Math.min(1 + MAX_STRETCH_DEVIATION, wanted));
        // one step of the exponential smoothing per chunk, weighted by the audio it carries (not by the time since
        // the previous one: after a stall the stretch must not jump)
        double alpha = Math.min(1.0, chunkSamples / (SMOOTHING_SECONDS * RATE));
        stretch += alpha * (wanted - stretch);
        minStretch = Double.isNaN(minStretch) ? stretch : Math.min(minStretch, stretch);
        maxStretch = Double.isNaN(maxStretch) ? stretch : Math.max(maxStretch, stretch);
    }

    /** Produces output samples while the filter has all its taps (below {@code bufferEnd}) and input remains. */
    private void produce(long limit) throws IOException {
        double step = 1.0 / stretch;
        while (readIndex < limit && readIndex + HALF_TAPS < bufferEnd) {
            double phase = readFraction * PHASES;
            int p = (int) phase;
            float t = (float) (phase - p);
            float[] k0 = KERNEL[p];
            float[] k1 = KERNEL[p + 1];
            int base = (int) (readIndex - HALF_TAPS + 1 - bufferStart);
            float a = 0;
            float b = 0;
            for (int j = 0; j < 2 * HALF_TAPS; j++) {
                float x = buffer[base + j];
                a += x * k0[j];
                b += x * k1[j];
            }
            float y = a + t * (b - a);
            outBuffer[outCount++] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(y)));
            if (outCount == outBuffer.length) {
                drain();
            }
            outputIndex++;
            outputSamplesTotal++;
            readFraction += step;
            long whole = (long) readFraction;
            readIndex += whole;
            readFraction -= whole;
        }
        drain();
    }

    private void drain() throws IOException {
        if (outCount > 0) {
            output.write(outBuffer, 0, outCount);
            outCount = 0;
        }
    }

    /** Room for {@code more} samples at the end; drops what no tap will read again. */
    private void ensureCapacity(int more) {
        long keepFrom = Math.min(readIndex - HALF_TAPS + 1, bufferEnd);
        int drop = (int) (keepFrom - bufferStart);
        int used = (int) (bufferEnd - bufferStart);
        if (drop > 0) {
            System.arraycopy(buffer, drop, buffer, 0, used - drop);
            bufferStart += drop;
            used -= drop;
        }
        if (used + more > buffer.length) {
            buffer = java.util.Arrays.copyOf(buffer, Math.max(buffer.length * 2, used + more));
        }
    }

    double stretch() {
        return stretch;
    }

    /** Smallest and largest stretch used so far (NaN before the first chunk). */
    double minStretch() {
        return minStretch;
    }

    double maxStretch() {
        return maxStretch;
    }

    long inputSamples() {
        return inputSamplesTotal;
    }

    long outputSamples() {
        return outputSamplesTotal;
    }

    private static float[][] kernel() {
        float[][] k = new float[PHASES + 1][2 * HALF_TAPS];
        double i0Beta = besselI0(KAISER_BETA);
        for (int p = 0; p <= PHASES; p++) {
            double fraction = (double) p / PHASES;
            double sum = 0;
            double[] row = new double[2 * HALF_TAPS];
            for (int j = 0; j < 2 * HALF_TAPS; j++) {
                double x = (j - HALF_TAPS + 1) - fraction; // distance of the tap from the output position
                double r = x / HALF_TAPS;
                double window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
                double arg = 2 * CUTOFF * x;
                double sinc = Math.abs(arg) < 1e-12 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
                row[j] = 2 * CUTOFF * sinc * window;
                sum += row[j];
            }
            for (int j = 0; j < 2 * HALF_TAPS; j++) {
                k[p][j] = (float) (row[j] / sum); // unity gain at DC for every phase: no gain ripple with the phase
            }
        }
        return k;
    }

    private static double besselI0(double x) {
        double sum = 1;
        double term = 1;
        for (int m = 1; m < 50; m++) {
            term *= (x / (2 * m)) * (x / (2 * m));
            sum += term;
            if (term < 1e-12 * sum) {
                break;
            }
        }
        return sum;
    }
}
