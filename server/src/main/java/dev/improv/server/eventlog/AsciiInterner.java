package dev.improv.server.eventlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One String per distinct ASCII key read from the log: a scan of a million records of a thousand sessions then
 * makes a thousand key Strings, not a million, and their hash codes are computed once. Open addressing over the
 * key bytes; not thread-safe (one per scan).
 */
final class AsciiInterner {
    private byte[][] keys = new byte[256][];
    private String[] strings = new String[256];
    private int size;

    /** The String of the {@code length} bytes at {@code buf}'s absolute {@code offset}. */
    String intern(ByteBuffer buf, int offset, int length) {
        int hash = 1;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + buf.get(offset + i);
        }
        int mask = keys.length - 1;
        int slot = mix(hash) & mask;
        while (keys[slot] != null) {
            if (same(keys[slot], buf, offset, length)) {
                return strings[slot];
            }
            slot = (slot + 1) & mask;
        }
        byte[] key = new byte[length];
        buf.get(offset, key);
        String s = new String(key, StandardCharsets.US_ASCII);
        keys[slot] = key;
        strings[slot] = s;
        if (++size * 2 > keys.length) {
            grow();
        }
        return s;
    }

    private static int mix(int h) {
        return h ^ (h >>> 16);
    }

    private static boolean same(byte[] key, ByteBuffer buf, int offset, int length) {
        if (key.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (key[i] != buf.get(offset + i)) {
                return false;
            }
        }
        return true;
    }

    private void grow() {
        byte[][] oldKeys = keys;
        String[] oldStrings = strings;
        keys = new byte[oldKeys.length * 2][];
        strings = new String[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null) {
                int hash = 1;
                for (byte b : oldKeys[i]) {
                    hash = 31 * hash + b;
                }
                int slot = mix(hash) & mask;
                while (keys[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = oldKeys[i];
                strings[slot] = oldStrings[i];
            }
        }
    }
}
