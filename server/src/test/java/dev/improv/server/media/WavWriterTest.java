package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavWriterTest {
    @TempDir
    Path dir;

    @Test
    void headerDescribes48kMono16BitAndIsPatchedWithTheLengthOnClose() throws Exception {
        Path file = dir.resolve("a.wav");
        short[] samples = new short[48_000 + 123];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (short) (i * 7);
        }
        try (WavWriter w = new WavWriter(file, 48_000, 1)) {
            w.write(samples, 0, 1000);
            w.writeSilence(500);
            w.write(samples, 1000, samples.length - 1000);
            assertEquals(samples.length + 500, w.frames());
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int data = 2 * (samples.length + 500);
        assertEquals(44 + data, b.capacity());
        assertEquals("RIFF", new String(Files.readAllBytes(file), 0, 4));
        assertEquals(36 + data, b.getInt(4));
        assertEquals(1, b.getShort(20), "PCM");
        assertEquals(1, b.getShort(22), "mono");
        assertEquals(48_000, b.getInt(24));
        assertEquals(96_000, b.getInt(28), "byte rate");
        assertEquals(16, b.getShort(34));
        assertEquals(data, b.getInt(40));
        short[] back = MediaFiles.readWav(file);
        assertEquals(samples[999], back[999]);
        assertEquals(0, back[1000 + 250]);
        assertEquals(samples[1000], back[1500]);
        assertArrayEquals(new short[] {samples[samples.length - 1]}, new short[] {back[back.length - 1]});
    }

    @Test
    void aCheckpointMakesTheFileValidBeforeClose() throws Exception {
        Path file = dir.resolve("b.wav");
        try (WavWriter w = new WavWriter(file, 48_000, 1)) {
            w.writeSilence(4800);
            w.checkpoint();
            assertEquals(9600, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getInt(40));
        }
    }
}
