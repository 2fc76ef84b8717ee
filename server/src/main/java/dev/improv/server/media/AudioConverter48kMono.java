package dev.improv.server.media;

/**
 * Turns what WebRTC's audio sink delivers (16-bit interleaved PCM at whatever rate and channel count the
 * playout path chose) into 48 kHz mono: channels are averaged, other rates are resampled linearly with the
 * phase carried across calls. One instance per stream; called on WebRTC's audio thread only.
 */
final class AudioConverter48kMono {
    static final int RATE = 48_000;
    private double phase; // position of the next output sample, in input samples, relative to the next input
    private double previous; // last input sample of the previous call, for interpolation across calls

    short[] convert(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
        if (bitsPerSample != 16 || channels < 1 || frames <= 0 || sampleRate <= 0) {
            return new short[0];
        }
        double[] mono = new double[frames];
        for (int f = 0; f < frames; f++) {
            int sum = 0;
            for (int c = 0; c < channels; c++) {
                int i = 2 * (f * channels + c);
                if (i + 1 >= data.length) {
                    break;
                }
                sum += (short) ((data[i] & 0xFF) | (data[i + 1] << 8));
            }
            mono[f] = (double) sum / channels;
        }
        if (sampleRate == RATE) {
            short[] out = new short[frames];
            for (int f = 0; f < frames; f++) {
                out[f] = clip(mono[f]);
            }
            previous = mono[frames - 1];
            return out;
        }
        double step = (double) sampleRate / RATE;
        int capacity = (int) Math.ceil((frames - phase) / step) + 1;
        short[] out = new short[capacity];
        int n = 0;
        double pos = phase;
        while (pos < frames - 1e-9 && n < capacity) {
            int i = (int) Math.floor(pos);
            double frac = pos - i;
            double a = i < 0 ? previous : mono[i];
            double b = i + 1 < frames ? mono[i + 1] : mono[frames - 1];
            if (i < 0) {
                a = previous;
                b = mono[0];
                frac = pos + 1;
            }
            out[n++] = clip(a + (b - a) * frac);
            pos += step;
        }
        phase = pos - frames;
        previous = mono[frames - 1];
        return n == capacity ? out : java.util.Arrays.copyOf(out, n);
    }

    private static short clip(double v) {
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(v)));
    }
}
