package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VoiceActivityDetectorTest {
    /** 300 ms noise, then 3 x (500 ms tone, 500 ms noise): the 100 Hz track matches within two frames. */
    @Test
    void toneBurstsOverNoiseAreFoundWithinTwoFrames() {
        List<VoiceActivityDetector.Frame> frames = new ArrayList<>();
        VoiceActivityDetector vad = new VoiceActivityDetector(frames::add);
        Random noise = new Random(7);
        int total = 48 * (300 + 3000);
        short[] pcm = new short[total];
        for (int i = 0; i < total; i++) {
            int ms = i / 48 - 300;
            boolean on = ms >= 0 && ms % 1000 < 500;
            double v = noise.nextGaussian() * 0.003 + (on ? 0.3 * Math.sin(2 * Math.PI * 440 * i / 48_000.0) : 0);
            pcm[i] = (short) Math.round(v * 32767);
        }
        for (int i = 0; i < total; i += 480) { // in 10 ms chunks, as WebRTC delivers
            vad.accept(pcm, i, Math.min(480, total - i));
        }
        vad.flush();
        assertEquals(total / 480, frames.size());
        int wrong = 0;
        for (VoiceActivityDetector.Frame f : frames) {
            long ms = f.index() * 10 - 300;
            boolean expected = ms >= 0 && ms % 1000 < 500;
            long edgeDistance = ms < 0 ? -ms : Math.min(ms % 500, 500 - ms % 500);
            if (f.voiced() != expected) {
                assertTrue(edgeDistance <= 20, "frame " + f.index() + " wrong far from an edge");
                wrong++;
            }
            assertEquals(f.index(), frames.indexOf(f), "frames in order, none missing");
        }
        assertTrue(wrong <= 12, wrong + " frames wrong");
    }

    @Test
    void shortDipsAreBridgedButTheEndIsNotExtended() {
        List<VoiceActivityDetector.Frame> frames = new ArrayList<>();
        VoiceActivityDetector vad = new VoiceActivityDetector(frames::add);
        short[] loud = new short[480];
        for (int i = 0; i < 480; i++) {
            loud[i] = (short) (10_000 * Math.sin(2 * Math.PI * 440 * i / 48_000.0));
        }
        short[] quiet = new short[480];
        int[] pattern = {0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        for (int p : pattern) {
            vad.accept(p == 1 ? loud : quiet, 0, 480);
        }
        vad.flush();
        StringBuilder track = new StringBuilder();
        frames.forEach(f -> track.append(f.voiced() ? '1' : '0'));
        assertEquals("00011111111000000000000", track.toString());
    }
}
