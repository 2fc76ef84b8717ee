package dev.improv.server.eventlog;

import java.io.DataInput;
import java.io.EOFException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * {@link DataInput} over a heap buffer, for reading a checkpoint back: plain buffer reads, where a
 * {@code DataInputStream} over a {@code ByteArrayInputStream} takes a lock per byte. Big-endian, as
 * {@code DataOutputStream} writes. Not thread-safe.
 */
final class ByteBufferInput implements DataInput {
    private final ByteBuffer buf;

    ByteBufferInput(ByteBuffer buf) {
        this.buf = buf;
    }

    int remaining() {
        return buf.remaining();
    }

    /** Reads {@code n} longs in one go (a session's index). */
    void readLongs(long[] into, int n) throws EOFException {
        if (buf.remaining() < (long) n * Long.BYTES) {
            throw new EOFException();
        }
        buf.asLongBuffer().get(into, 0, n);
        buf.position(buf.position() + n * Long.BYTES);
    }

    @Override
    public void readFully(byte[] b) throws EOFException {
        readFully(b, 0, b.length);
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws EOFException {
        if (buf.remaining() < len) {
            throw new EOFException();
        }
        buf.get(b, off, len);
    }

    @Override
    public int skipBytes(int n) {
        int k = Math.min(n, buf.remaining());
        buf.position(buf.position() + k);
        return k;
    }

    @Override
    public boolean readBoolean() throws EOFException {
        return readByte() != 0;
    }

    @Override
    public byte readByte() throws EOFException {
        try {
            return buf.get();
        } catch (BufferUnderflowException e) {
            throw new EOFException();
        }
    }

    @Override
    public int readUnsignedByte() throws EOFException {
        return readByte() & 0xff;
    }

    @Override
    public short readShort() throws EOFException {
        try {
            return buf.getShort();
        } catch (BufferUnderflowException e) {
            throw new EOFException();
        }
    }

    @Override
    public int readUnsignedShort() throws EOFException {
        return readShort() & 0xffff;
    }

    @Override
    public char readChar() throws EOFException {
        return (char) readShort();
    }

    @Override
    public int readInt() throws EOFException {
        try {
            return buf.getInt();
        } catch (BufferUnderflowException e) {
            throw new EOFException();
        }
    }

    @Override
    public long readLong() throws EOFException {
        try {
            return buf.getLong();
        } catch (BufferUnderflowException e) {
            throw new EOFException();
        }
    }

    @Override
    public float readFloat() throws EOFException {
        return Float.intBitsToFloat(readInt());
    }

    @Override
    public double readDouble() throws EOFException {
        return Double.longBitsToDouble(readLong());
    }

    @Override
    public String readLine() {
        throw new UnsupportedOperationException("not a text format");
    }

    @Override
    public String readUTF() {
        throw new UnsupportedOperationException("strings are length + UTF-8 bytes here");
    }
}
