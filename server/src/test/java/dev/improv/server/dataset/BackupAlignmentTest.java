package dev.improv.server.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.media.WavWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local take and the server-side recorder's files of the same sound, the recorder's placed a known time later
 * and its clock 1 % slow (as measured, issue 17), with noise: the measured offset must be that time.
 */
@Tag("integration")
class BackupAlignmentTest {
    private static final int RATE = 48_000;
    private static final long FIRST_US = 1_800_000_000_000_000L;

    @TempDir
    Path data;

    /** Speech-like: 400 bursts of random pitch and length over 10 s from a fixed seed, by tenth of a second. */
    private static final List<List<double[]>> BURSTS = new ArrayList<>();

    static {
        Random r = new Random(99);
        for (int b = 0; b < 100; b++) {
            BURSTS.add(new ArrayList<>());
        }
        for (int i = 0; i < 400; i++) {
            double at = r.nextDouble() * 10;
            BURSTS.get((int) (at * 10)).add(new double[] {at, 150 + r.nextDouble() * 3_000, 0.01 + r.nextDouble() * 0.03});
        }
    }

    /** The sound at any time t (s): so a delay of a fraction of a sample, or a slow clock, is exact. */
    private static double sound(double t) {
        double v = 0;
        int bucket = (int) Math.floor(t * 10);
        for (int b = Math.max(0, bucket - 2); b <= Math.min(99, bucket + 2); b++) {
            for (double[] burst : BURSTS.get(b)) {
                double x = (t - burst[0]) / burst[2];
                if (Math.abs(x) < 5) {
                    v += 0.15 * Math.exp(-x * x / 2) * Math.sin(2 * Math.PI * burst[1] * (t - burst[0]));
                }
            }
        }
        return v;
    }

    private static short pcm(double v) {
        return (short) Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
    }

    private Path localTake(double seconds) throws IOException {
        Path wav = Files.createDirectories(data.resolve("takes/r/1")).resolve("p1.wav");
        short[] s = new short[(int) (seconds * RATE)];
        for (int i = 0; i < s.length; i++) {
            s[i] = pcm(sound((double) i / RATE));
        }
        try (WavWriter w = new WavWriter(wav, RATE, 1)) {
            w.write(s, 0, s.length);
        }
        return wav;
    }

    /**
     * The recorder's {@code <pid>.wav} + {@code .sync.jsonl}: its sample k was played at server time
     * {@code startUs + k / (48 kHz · rate)} and holds the sound of local time {@code that − laterUs}.
     */
    private void recorderTrack(long startUs, double rate, long laterUs, double seconds, double noiseRms)
            throws IOException {
        Path media = Files.createDirectories(data.resolve("sessions/s1/media"));
        int n = (int) (seconds * RATE * rate);
        short[] s = new short[n];
        Random noise = new Random(3);
        StringBuilder sync = new StringBuilder("{\"kind\":\"header\",\"participantId\":\"p1\",\"sampleRate\":48000}\n");
        for (int k = 0; k < n; k++) {
            double serverS = (startUs - FIRST_US) / 1e6 + k / (RATE * rate);
            s[k] = pcm(0.6 * sound(serverS - laterUs / 1e6) + noiseRms * noise.nextGaussian());
            if (k % RATE == 0) {
                sync.append("{\"kind\":\"sync\",\"sample\":").append(k).append(",\"serverUs\":")
                        .append(startUs + Math.round(k / (RATE * rate) * 1e6)).append("}\n");
            }
        }
        try (WavWriter w = new WavWriter(media.resolve("p1.wav"), RATE, 1)) {
            w.write(s, 0, s.length);
        }
        Files.writeString(media.resolve("p1.sync.jsonl"), sync);
    }

    @Test
    void measuresWhereTheBackupHasTheSoundThroughItsSyncPoints() throws IOException {
        Path wav = localTake(8);
        // the recorder started 0.3 s before the take, its clock 1 % slow, the sound 23.4 ms later than the take's
        recorderTrack(FIRST_US - 300_000, 0.99, 23_400, 8.5, 0.02);
        long t0 = System.nanoTime();
        Map<String, Object> m = BackupAlignment.measure(wav, FIRST_US, data, "s1", "p1");
        long t1 = System.nanoTime();
        BackupAlignment.measure(wav, FIRST_US, data, "s1", "p1");
        System.out.printf("BackupAlignment of an 8 s take: %.0f ms, again %.0f ms (loadavg %s)%n", (t1 - t0) / 1e6,
                (System.nanoTime() - t1) / 1e6, Files.readString(Path.of("/proc/loadavg")).trim());
        assertEquals(23_400, ((Number) m.get("offsetUs")).longValue(), 30, m.toString());
        assertTrue(((Number) m.get("windows")).intValue() >= 6, m.toString());
        assertTrue(Math.abs(((Number) m.get("offsetMaxUs")).longValue() - ((Number) m.get("offsetMinUs")).longValue())
                < 100, "every window, early and late, on the same offset: " + m);
        assertEquals("sessions/s1/media/p1.wav", m.get("file"));
    }

    @Test
    void aBackupThatHasTheSoundEarlierGivesANegativeOffset() throws IOException {
        Path wav = localTake(6);
        recorderTrack(FIRST_US - 300_000, 1.0, -61_000, 6.5, 0);
        Map<String, Object> m = BackupAlignment.measure(wav, FIRST_US, data, "s1", "p1");
        assertEquals(-61_000, ((Number) m.get("offsetUs")).longValue(), 30, m.toString());
    }

    @Test
    void noRecorderTrackNoMeasurement() throws IOException {
        assertNull(BackupAlignment.measure(localTake(2), FIRST_US, data, "s1", "p1"));
    }
}
