package dev.improv.server.dataset;

import dev.improv.server.media.CrossCorrelation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the server-side media recorder (the backup) placed a performer's sound, measured against the performer's
 * local take of the same scene by cross-correlation (issue 17). The take assembly has the result written into the
 * track's JSON ({@code backup}); the dataset export carries it in each sample's alignment.
 *
 * <p>Method: up to {@link #MAX_WINDOWS} half-second windows spread over the local take (silent ones skipped); for
 * each, the recorder's audio of the same server time ± {@link #MAX_LAG_US}, read between its sync points and
 * resampled onto the server timeline, is searched for the window ({@link CrossCorrelation}) — compared as
 * amplitude envelopes (rectified, 1 ms moving average, mean removed), not as waveforms: the backup went through
 * Opus and a jitter buffer that stretches and shrinks it, so its fine structure does not match the take's (with
 * waveforms, 1 of 31 windows matched in LocalTakeBrowserTest; the envelopes keep a sound's shape to a fraction of
 * a millisecond). A window counts when its normalized correlation is at least {@link #MIN_PEAK}. The offset is the
 * median of the counted windows' lags: positive when the backup has the sound later on the server timeline than
 * the local take. Called on the takes-analysis thread; reads files only.
 */
public final class BackupAlignment {
    static final int RATE = MediaTrack.RATE;
    /** Half a second: the backup's placement moves by tens of ms from one sound to the next (its sync points). */
    static final int WINDOW_SAMPLES = RATE / 2;
    /** The envelope's smoothing: 1 ms. */
    static final int ENVELOPE_SAMPLES = RATE / 1000;
    /** The coarse search runs on every 8th envelope sample (6 kHz). */
    static final int DECIMATE = 8;
    /**
     * The server-side peer was measured up to ~235 ms off under load (issue 17). Kept under half a second so that
     * a sound repeated every 500 ms (the tests' beeps) cannot match its neighbour.
     */
    static final long MAX_LAG_US = 300_000;
    static final int MAX_WINDOWS = 24;
    static final double MIN_PEAK = 0.5;
    /** Below this RMS (about −50 dBFS) a window is taken as silence: nothing to correlate. */
    static final double MIN_RMS = 0.003;

    private BackupAlignment() {
    }

    /**
     * The measurement, as written into the track's JSON: {@code offsetUs} (null when no window matched),
     * {@code offsetMinUs}/{@code offsetMaxUs} (the spread of the windows' lags: the backup's placement moves with
     * its sync points), {@code correlation} (median peak), {@code windows} (counted) of {@code windowsTried}
     * (not silent), and {@code file}; null when the recorder has no track of this performer in this session.
     */
    public static Map<String, Object> measure(Path localWav, long firstSampleServerUs, Path dataDir, String sessionId,
                                              String pid) throws IOException {
        MediaTrack backup = sessionId == null || sessionId.isEmpty() || sessionId.contains("/")
                || sessionId.startsWith(".") ? null : MediaTrack.find(dataDir.resolve("sessions").resolve(sessionId)
                .resolve("media"), pid);
        if (backup == null) {
            return null;
        }
        long frames = Math.max(0, (Files.size(localWav) - MediaTrack.HEADER_BYTES) / 2);
        int maxLag = (int) (MAX_LAG_US * RATE / 1_000_000);
        List<Double> lags = new ArrayList<>();
        List<Double> peaks = new ArrayList<>();
        int tried = 0;
        float[] local = new float[WINDOW_SAMPLES];
        float[] search = new float[WINDOW_SAMPLES + 2 * maxLag];
        int windows = (int) Math.min(MAX_WINDOWS, frames / WINDOW_SAMPLES);
        try (FileChannel in = FileChannel.open(localWav)) {
            for (int w = 0; w < windows; w++) {
                // spread evenly: the first window at the start, the last ending at the take's end
                long first = windows == 1 ? 0 : w * (frames - WINDOW_SAMPLES) / (windows - 1);
                read(in, first, local);
                if (rms(local) < MIN_RMS) {
                    continue;
                }
                tried++;
                long windowUs = firstSampleServerUs + Math.round(first * 1e6 / RATE);
                if (!backup.readPlaced(windowUs - MAX_LAG_US, search)) {
                    continue;
                }
                // coarse on the envelopes at 6 kHz (an FFT of 8,192 points), then ±2 coarse steps at 48 kHz directly:
                // at 48 kHz throughout, a take's 24 windows cost seconds of the takes thread on a loaded box
                float[] localEnvelope = envelope(local);
                float[] searchEnvelope = envelope(search);
                CrossCorrelation.Lag coarse = CrossCorrelation.lag(decimate(localEnvelope), decimate(searchEnvelope),
                        maxLag / DECIMATE);
                CrossCorrelation.Lag lag = CrossCorrelation.refine(localEnvelope, searchEnvelope, maxLag,
                        (int) Math.round(coarse.lagSamples() * DECIMATE), 2 * DECIMATE);
                if (lag.peak() >= MIN_PEAK) {
                    lags.add(lag.lagSamples() * 1e6 / RATE);
                    peaks.add(lag.peak());
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", "sessions/" + sessionId + "/media/" + pid + ".wav");
        out.put("offsetUs", lags.isEmpty() ? null : Math.round(median(lags)));
        out.put("offsetMinUs", lags.isEmpty() ? null : Math.round(lags.stream().mapToDouble(d -> d).min().orElse(0)));
        out.put("offsetMaxUs", lags.isEmpty() ? null : Math.round(lags.stream().mapToDouble(d -> d).max().orElse(0)));
        out.put("correlation", peaks.isEmpty() ? null : Math.round(median(peaks) * 1000) / 1000.0);
        out.put("windows", lags.size());
        out.put("windowsTried", tried);
        out.put("method", "normalized cross-correlation of the amplitude envelopes of 0.5 s windows, ±" + MAX_LAG_US / 1000 + " ms, median");
        return out;
    }

    private static void read(FileChannel in, long firstSample, float[] out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(out.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        long position = MediaTrack.HEADER_BYTES + firstSample * 2;
        while (buf.hasRemaining() && in.read(buf, position + buf.position()) >= 0) {
            // a short read continues where it stopped; the end of the file leaves the rest silent
        }
        buf.flip();
        int i = 0;
        while (buf.remaining() >= 2) {
            out[i++] = buf.getShort() / 32768f;
        }
        Arrays.fill(out, i, out.length, 0f);
    }

    /** |x| smoothed over {@link #ENVELOPE_SAMPLES} (centred, so it does not move a sound), its mean removed. */
    static float[] envelope(float[] x) {
        float[] out = new float[x.length];
        double sum = 0;
        int half = ENVELOPE_SAMPLES / 2;
        double[] prefix = new double[x.length + 1];
        for (int i = 0; i < x.length; i++) {
            prefix[i + 1] = prefix[i] + Math.abs(x[i]);
        }
        for (int i = 0; i < x.length; i++) {
            int from = Math.max(0, i - half);
            int to = Math.min(x.length, i + half + 1);
            out[i] = (float) ((prefix[to] - prefix[from]) / (to - from));
            sum += out[i];
        }
        float mean = (float) (sum / x.length);
        for (int i = 0; i < out.length; i++) {
            out[i] -= mean;
        }
        return out;
    }

    /** Every {@link #DECIMATE}th sample of an envelope (already smoothed over 1 ms: little left to alias). */
    static float[] decimate(float[] x) {
        float[] out = new float[x.length / DECIMATE];
        for (int i = 0; i < out.length; i++) {
            out[i] = x[i * DECIMATE];
        }
        return out;
    }

    private static double rms(float[] x) {
        double sum = 0;
        for (float v : x) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum / x.length);
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(d -> d).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
