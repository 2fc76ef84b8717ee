package dev.improv.server.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Streams 16-bit little-endian PCM to a RIFF/WAVE file. The header is written first with zero lengths and
 * patched by {@link #checkpoint()} and {@link #close()}, so that a file cut short by a crash still holds all
 * its samples (readers that trust the header see the length of the last checkpoint). One thread only.
 */
public final class WavWriter implements AutoCloseable {
    public static final int HEADER_BYTES = 44;
    private static final long MAX_DATA_BYTES = 0xFFFF_FFFFL - 36;

    private final FileChannel file;
    private final int sampleRate;
    private final int channels;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private long dataBytes;
    private boolean closed;

    public WavWriter(Path path, int sampleRate, int channels) throws IOException {
        this.sampleRate = sampleRate;
        this.channels = channels;
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        file.write(header(0), 0);
        file.position(HEADER_BYTES);
    }

    /** Appends {@code count} samples (interleaved when there are several channels). */
    public void write(short[] samples, int offset, int count) throws IOException {
        if (dataBytes + 2L * count > MAX_DATA_BYTES) {
            throw new IOException("WAV data would exceed 4 GiB");
        }
        for (int i = 0; i < count; i++) {
            if (!buffer.hasRemaining()) {
                flushBuffer();
            }
            buffer.putShort(samples[offset + i]);
        }
        dataBytes += 2L * count;
    }

    /** Appends {@code count} samples of silence. */
    public void writeSilence(long count) throws IOException {
        short[] zeros = new short[4800];
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, zeros.length);
            write(zeros, 0, n);
            left -= n;
        }
    }

    /** Samples per channel written so far. */
    public long frames() {
        return dataBytes / (2L * channels);
    }

    /** Writes what is buffered, patches the header with the current length and forces both to disk. */
    public void checkpoint() throws IOException {
        flushBuffer();
        file.write(header(dataBytes), 0);
        file.force(false);
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            file.write(buffer);
        }
        buffer.clear();
    }

    private ByteBuffer header(long data) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int blockAlign = 2 * channels;
        h.put(new byte[] {'R', 'I', 'F', 'F'}).putInt((int) (36 + data)).put(new byte[] {'W', 'A', 'V', 'E'});
        h.put(new byte[] {'f', 'm', 't', ' '}).putInt(16).putShort((short) 1).putShort((short) channels)
                .putInt(sampleRate).putInt(sampleRate * blockAlign).putShort((short) blockAlign)
                .putShort((short) 16);
        h.put(new byte[] {'d', 'a', 't', 'a'}).putInt((int) data);
        return h.flip();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            checkpoint();
        } finally {
            file.close();
        }
    }
}
