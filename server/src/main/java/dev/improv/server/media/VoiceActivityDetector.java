package dev.improv.server.media;

/**
 * Energy-based voice activity on a fixed grid of 10 ms frames (480 samples at 48 kHz, i.e. 100 Hz).
 *
 * <p>Per frame: energy in dBFS (RMS of the frame relative to full scale, floor -100 dB). The noise floor starts
 * at the first frame's energy (at least {@link #INITIAL_FLOOR_DB}) and follows the energy quickly downwards and slowly upwards (it rises at most {@link #FLOOR_RISE_DB_PER_FRAME}
 * while a frame is loud, so a sustained note stays "voice" for a long time). A frame is loud when its energy is
 * at least {@link #ON_ABOVE_FLOOR_DB} above the floor and above {@link #ABSOLUTE_MIN_DB}. Hangover: a run of at
 * most {@link #HANGOVER_FRAMES} quiet frames between two loud frames counts as voice (the dips between
 * syllables). It is applied with a look-ahead of that many frames instead of extending every voiced run, so the
 * end of a run is not pushed late; frames are therefore reported up to 80 ms after they were fed. Call
 * {@link #flush()} at the end. Deterministic; one thread only.
 */
public final class VoiceActivityDetector {
    public static final int SAMPLE_RATE = 48_000;
    public static final int FRAME_SAMPLES = SAMPLE_RATE / 100;
    static final double ON_ABOVE_FLOOR_DB = 12.0;
    static final double ABSOLUTE_MIN_DB = -55.0;
    static final double FLOOR_RISE_DB_PER_FRAME = 0.01;
    static final double FLOOR_TRACK_DB_PER_FRAME = 1.0;
    static final double INITIAL_FLOOR_DB = -70.0;
    static final int HANGOVER_FRAMES = 8;

    /** One decided frame: its index on the 100 Hz grid, the decision and the frame's energy in dBFS. */
    public record Frame(long index, boolean voiced, double energyDb) {
    }

    /** Receives each decided frame. */
    @FunctionalInterface
    public interface FrameListener {
        void onFrame(Frame frame);
    }

    private final FrameListener listener;
    private double floorDb = INITIAL_FLOOR_DB;
    private double sumSquares;
    private int inFrame;
    private long frameIndex;
    /** Quiet frames after a loud one, held back until we know whether voice resumes. */
    private final long[] heldIndex = new long[HANGOVER_FRAMES];
    private final double[] heldDb = new double[HANGOVER_FRAMES];
    private int held;
    private boolean lastWasLoud;
    private boolean backgroundKnown;

    public VoiceActivityDetector(FrameListener listener) {
        this.listener = listener;
    }

    /**
     * The background before the first frame was digital silence that is not in the file (the recorder skips a
     * stream's leading silence): the floor starts at {@link #INITIAL_FLOOR_DB}, as that silence would have set it,
     * instead of at the first frame, which is sound.
     */
    public void backgroundWasSilence() {
        if (frameIndex == 0 && inFrame == 0) {
            backgroundKnown = true;
        }
    }

    /** Feeds mono samples; calls the listener once per completed 10 ms frame. */
    public void accept(short[] samples, int offset, int count) {
        for (int i = 0; i < count; i++) {
            double s = samples[offset + i] / 32768.0;
            sumSquares += s * s;
            if (++inFrame == FRAME_SAMPLES) {
                decide();
            }
        }
    }

    /** Feeds {@code count} samples of digital silence (a gap filled in the file). */
    public void acceptSilence(long count) {
        for (long i = 0; i < count; i++) {
            if (++inFrame == FRAME_SAMPLES) {
                decide();
            }
        }
    }

    private void decide() {
        double rms = Math.sqrt(sumSquares / FRAME_SAMPLES);
        double db = rms <= 1e-5 ? -100.0 : Math.round(20 * Math.log10(rms) * 10) / 10.0;
        if (frameIndex == 0 && !backgroundKnown) {
            floorDb = Math.max(db, INITIAL_FLOOR_DB); // the first frame is taken as background
        }
        boolean loud = db >= ABSOLUTE_MIN_DB && db >= floorDb + ON_ABOVE_FLOOR_DB;
        if (db < floorDb) {
            floorDb = Math.max(db, -100.0);
        } else if (!loud) {
            floorDb = Math.min(db, floorDb + FLOOR_TRACK_DB_PER_FRAME);
        } else {
            floorDb += FLOOR_RISE_DB_PER_FRAME;
        }
        long index = frameIndex++;
        sumSquares = 0;
        inFrame = 0;
        if (loud) {
            release(true); // a dip between loud frames: voice
            listener.onFrame(new Frame(index, true, db));
            lastWasLoud = true;
        } else if (lastWasLoud || held > 0) {
            heldIndex[held] = index;
            heldDb[held] = db;
            held++;
            lastWasLoud = false;
            if (held == HANGOVER_FRAMES) {
                release(false); // the pause is longer than the hangover: it was silence
            }
        } else {
            listener.onFrame(new Frame(index, false, db));
        }
    }

    private void release(boolean voiced) {
        for (int i = 0; i < held; i++) {
            listener.onFrame(new Frame(heldIndex[i], voiced, heldDb[i]));
        }
        held = 0;
    }

    /** Reports the frames still held back by the look-ahead (as not voiced). A partial frame is dropped. */
    public void flush() {
        release(false);
    }

    /** The current noise floor in dBFS; for tests and diagnostics. */
    public double noiseFloorDb() {
        return floorDb;
    }
}
