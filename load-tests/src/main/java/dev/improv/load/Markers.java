package dev.improv.load;

import io.netty.buffer.ByteBuf;

/**
 * Keys inside test messages. A key is {@code room * ROOM_STRIDE + n} (n = message number in the room). Prompts
 * and signals carry it as {@code ~L<key>~} in their text; marks carry {@code key + 1} as their {@code clientTs}
 * (a mark's only free number field, and it must be positive). Found by scanning bytes, not by parsing JSON.
 */
final class Markers {
    static final long ROOM_STRIDE = 1_000_000L;
    private static final byte[] CLIENT_TS = "\"clientTs\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Markers() {
    }

    static long key(int room, int n) {
        return room * ROOM_STRIDE + n;
    }

    static int room(long key) {
        return (int) (key / ROOM_STRIDE);
    }

    static int number(long key) {
        return (int) (key % ROOM_STRIDE);
    }

    static String marker(long key) {
        return "~L" + key + "~";
    }

    /** The key in a frame, or -1 when it carries none (presence, joins and other room traffic). */
    static long find(ByteBuf buf) {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = start; i < end - 2; i++) {
            byte b = buf.getByte(i);
            if (b == '~' && buf.getByte(i + 1) == 'L') {
                long v = digits(buf, i + 2, end, (byte) '~');
                if (v >= 0) {
                    return v;
                }
            } else if (b == '"' && matches(buf, i, end, CLIENT_TS)) {
                long v = digits(buf, i + CLIENT_TS.length, end, (byte) 0);
                if (v > 0) {
                    return v - 1;
                }
            }
        }
        return -1;
    }

    private static boolean matches(ByteBuf buf, int at, int end, byte[] needle) {
        if (at + needle.length > end) {
            return false;
        }
        for (int j = 0; j < needle.length; j++) {
            if (buf.getByte(at + j) != needle[j]) {
                return false;
            }
        }
        return true;
    }

    /** Digits from {@code at}; when {@code terminator} is non-zero it must follow them. */
    private static long digits(ByteBuf buf, int at, int end, byte terminator) {
        long v = 0;
        int i = at;
        while (i < end) {
            byte c = buf.getByte(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            i++;
        }
        if (i == at || (terminator != 0 && (i >= end || buf.getByte(i) != terminator))) {
            return -1;
        }
        return v;
    }
}
