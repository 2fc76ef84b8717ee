package dev.improv.server.transport;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * A small structure-aware mutator for JSON messages, driven by a seeded {@link Random} so that a run is
 * reproducible: byte flips, cuts and copies, plus tokens that have broken JSON decoders before (huge and
 * non-finite numbers, lone surrogates, deep nesting, long keys, duplicate keys, control characters, wrong types).
 * Used where Jazzer does not run: the unit test's seeded rounds.
 */
final class JsonMutator {
    private static final String[] TOKENS = {
        "1e400", "-1e400", "1e-400", "-0", "0.5", "1.5", "-1", "0", "9007199254740991", "9007199254740992",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1" + "0".repeat(1000),
        "0." + "1".repeat(2000), "NaN", "Infinity", "true", "false", "null", "\"\"", "\" \"", "\"\\ud800\"",
        "\"\\udc00x\"", "\"\\u0000\"", "\"\\uFFFF\"", "\"\u00e9\u4e2d\ud83d\ude00\"", "{}", "[]", "[null]", "{\"a\":1}",
        "\"type\":\"prompt\"", "\"type\":\"signal\"", "\"type\":\"lobby_join\"", ",\"cid\":\"x\"", ",\"cid\":\"\"",
        ",\"type\":\"mark\"", "\"" + "k".repeat(300) + "\":1", "\"" + "v".repeat(5000) + "\"", ",", ":", "\"", "{", "}",
        "[", "]", "\\", "/*x*/", "\u0001", "\n", "\t", "\u00a0", "\ufeff",
    };

    private JsonMutator() {
    }

    static byte[] mutate(byte[] seed, Random random) {
        byte[] out = seed.clone();
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            out = once(out, random);
        }
        return out;
    }

    private static byte[] once(byte[] in, Random random) {
        int at = in.length <= 1 ? in.length : 1 + random.nextInt(in.length - 1); // keep the selector byte
        switch (random.nextInt(8)) {
            case 0 -> { // flip a byte
                if (in.length > 1) {
                    byte[] out = in.clone();
                    out[at == in.length ? in.length - 1 : at] ^= (byte) (1 << random.nextInt(8));
                    return out;
                }
                return in;
            }
            case 1, 2 -> { // a token after a colon, a comma or a bracket, or anywhere
                return insert(in, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
            }
            case 3 -> { // replace a value: from after a ':' to the next ',' or '}'
                int colon = indexOf(in, (byte) ':', at);
                if (colon < 0) {
                    return in;
                }
                int end = colon + 1;
                while (end < in.length && in[end] != ',' && in[end] != '}') {
                    end++;
                }
                return splice(in, colon + 1, end, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
            }
            case 4 -> { // cut
                int end = Math.min(in.length, at + random.nextInt(16));
                return splice(in, at, end, new byte[0]);
            }
            case 5 -> { // copy a stretch elsewhere
                int from = in.length <= 1 ? 0 : 1 + random.nextInt(in.length - 1);
                int len = Math.min(in.length - from, random.nextInt(32));
                byte[] piece = new byte[Math.max(0, len)];
                System.arraycopy(in, from, piece, 0, piece.length);
                return insert(in, at, piece);
            }
            case 6 -> { // deep nesting
                int depth = random.nextBoolean() ? 10 + random.nextInt(50) : 900 + random.nextInt(2000);
                String open = random.nextBoolean() ? "[" : "{\"a\":";
                String close = open.equals("[") ? "]" : "}";
                return insert(in, at, (open.repeat(depth) + "1" + close.repeat(depth)).getBytes(StandardCharsets.UTF_8));
            }
            default -> { // another decoder for the same bytes
                byte[] out = in.length == 0 ? new byte[1] : in.clone();
                out[0] = DecoderProperties.Target.values()[random.nextInt(DecoderProperties.Target.values().length)]
                        .selector();
                return out;
            }
        }
    }

    private static int indexOf(byte[] in, byte b, int from) {
        for (int i = from; i < in.length; i++) {
            if (in[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] insert(byte[] in, int at, byte[] piece) {
        return splice(in, at, at, piece);
    }

    private static byte[] splice(byte[] in, int from, int to, byte[] piece) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + piece.length);
        out.write(in, 0, from);
        out.write(piece, 0, piece.length);
        out.write(in, to, in.length - to);
        return out.toByteArray();
    }
}
