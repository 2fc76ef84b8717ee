package dev.improv.server.eventlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte layout of write-ahead log segments. A segment starts with the 8-byte {@link #MAGIC}; then frames:
 * <pre>
 *   int32  length   bytes after the checksum (type .. end of body)
 *   int32  crc32c   CRC-32C of those bytes
 *   int8   type     {@link WalRecord.Type} code
 *   int8   keyLen   then keyLen bytes of key (ASCII)
 *   int64  seq
 *   int16  tagLen   (unsigned) then tagLen bytes of tag (UTF-8)
 *   ...    body     the rest
 * </pre>
 * Big-endian. A frame whose length is out of range, that runs past the end of the file, or whose checksum does
 * not match ends the readable part of a segment: in the last segment that is a torn tail (a crash in the middle of
 * a write) and is cut off when the log opens, unless it is all zeros (the space the writer zero-fills ahead, or
 * zeros after a power cut), which is kept to be written on. Stateless; any thread.
 */
public final class WalFormat {
    /** "IMPWAL" + format version 1 + newline. */
    static final byte[] MAGIC = {'I', 'M', 'P', 'W', 'A', 'L', '1', '\n'};
    static final int HEADER = 8;
    /** Type, key length, seq, tag length. */
    private static final int FIXED = 1 + 1 + 8 + 2;
    /** A record larger than this is refused when written and treated as damage when read. */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private WalFormat() {
    }

    static int frameBytes(WalRecord r) {
        return HEADER + FIXED + r.key().length() + tagBytes(r).length + r.body().length;
    }

    private static byte[] tagBytes(WalRecord r) {
        return r.tag().isEmpty() ? new byte[0] : r.tag().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes one frame into {@code out}, which must have {@link #frameBytes} bytes left. */
    static void encode(WalRecord r, ByteBuffer out) {
        byte[] key = WalRecord.ascii(r.key());
        byte[] tag = tagBytes(r);
        if (key.length > 255 || tag.length > 65_535) {
            throw new IllegalArgumentException("WAL record key or tag too long");
        }
        int length = FIXED + key.length + tag.length + r.body().length;
        if (length > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("WAL record of " + length + " bytes is over the limit");
        }
        int start = out.position();
        out.putInt(length).putInt(0);
        int payload = out.position();
        out.put(r.type().code).put((byte) key.length).put(key).putLong(r.seq()).putShort((short) tag.length).put(tag)
                .put(r.body());
        CRC32C crc = new CRC32C();
        int end = out.position();
        int limit = out.limit();
        out.limit(end).position(payload); // no duplicate buffer per record: the writer encodes every record here
        crc.update(out);
        out.limit(limit);
        out.putInt(start + 4, (int) crc.getValue());
    }

    static byte[] encode(WalRecord r) {
        ByteBuffer out = ByteBuffer.allocate(frameBytes(r));
        encode(r, out);
        return out.array();
    }

    /**
     * The payload length announced by a frame header, or -1 when it cannot be a frame. {@code header} holds the
     * 8 header bytes from its position.
     */
    static int payloadLength(ByteBuffer header) {
        int length = header.getInt(header.position());
        return length < FIXED || length > MAX_RECORD_BYTES ? -1 : length;
    }

    /**
     * Decodes the payload of one frame (the bytes after the header) and checks it against the header's checksum.
     * Returns null when the checksum or the layout is wrong.
     */
    static WalRecord decode(int expectedCrc, ByteBuffer payload) {
        return decode(expectedCrc, payload, null);
    }

    /** {@link #decode(int, ByteBuffer)} with keys made through {@code keys} (a scan's interner), when given. */
    static WalRecord decode(int expectedCrc, ByteBuffer payload, AsciiInterner keys) {
        CRC32C crc = new CRC32C();
        crc.update(payload.duplicate());
        if ((int) crc.getValue() != expectedCrc) {
            return null;
        }
        try {
            WalRecord.Type type = WalRecord.Type.of(payload.get());
            int keyLen = payload.get() & 0xff;
            String key;
            if (keys != null) {
                if (payload.remaining() < keyLen) {
                    return null;
                }
                key = keys.intern(payload, payload.position(), keyLen);
                payload.position(payload.position() + keyLen);
            } else {
                byte[] keyBytes = new byte[keyLen];
                payload.get(keyBytes);
                key = new String(keyBytes, StandardCharsets.US_ASCII);
            }
            long seq = payload.getLong();
            int tagLen = payload.getShort() & 0xffff;
            String tag = "";
            if (tagLen > 0) {
                byte[] tagBytes = new byte[tagLen];
                payload.get(tagBytes);
                tag = new String(tagBytes, StandardCharsets.UTF_8);
            }
            byte[] body = new byte[payload.remaining()];
            payload.get(body);
            if (type == null) {
                return null;
            }
            return new WalRecord(type, key, seq, tag, body);
        } catch (java.nio.BufferUnderflowException e) {
            return null;
        }
    }

    /** A position in the log: segment number and byte offset in one long (offsets below 1 TiB). */
    static long position(int segment, long offset) {
        return ((long) segment << 40) | offset;
    }

    static int segmentOf(long position) {
        return (int) (position >>> 40);
    }

    static long offsetOf(long position) {
        return position & ((1L << 40) - 1);
    }
}
