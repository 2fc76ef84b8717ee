package dev.improv.server.eventlog;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One record of the node's write-ahead log.
 *
 * @param type what the record is
 * @param key  the session id (session records) or the pool id ({@link Type#POOL_FACT}, {@link Type#POOL_SNAPSHOT}); ASCII, at most 255 bytes
 * @param seq  the room event's seq ({@link Type#EVENT}), the reserved bound ({@link Type#SEQ_RESERVE}); 0 otherwise
 * @param tag  for {@link Type#EVENT}: "{@code <origin participant id> <cid>}" when the event applied a client
 *             message id, else empty; UTF-8, at most 65,535 bytes
 * @param body the payload: the room event's exact bytes, or a JSON document (see {@link Type})
 */
public record WalRecord(Type type, String key, long seq, String tag, byte[] body) {
    /** Record types; the code is what the file holds, so codes never change meaning. */
    public enum Type {
        /** A room session opened: body is a {@link WalFacts.SessionOpened} JSON. */
        SESSION_OPEN(1),
        /** A room event: body is exactly the JSON bytes members received. */
        EVENT(2),
        /** A new version of the session's metadata ({@code SessionMeta} JSON); the latest one counts. */
        META(3),
        /** A control fact of a room session that is not a room event (a ban): {@link WalFacts.RoomFact} JSON. */
        ROOM_FACT(4),
        /** The session closed: body is the final {@code SessionMeta} JSON. */
        SESSION_CLOSE(5),
        /** The session's per-session files ({@code events.jsonl}, {@code meta.json}) are written and forced. */
        SESSION_EXPORTED(6),
        /** A lobby fact of one pool ({@code match.LobbyFact} JSON): pool opened, queue inputs, time intervals. */
        POOL_FACT(7),
        /**
         * Seqs of a room session reserved up to {@code seq} (body empty): members may see events up to the last
         * durable reservation, and a restart continues above it, so a seq a member saw is never given to another
         * event. The last one in the log counts (a clean stop gives the unused rest back).
         */
        SEQ_RESERVE(8),
        /**
         * A pool's whole state ({@code match.PoolSnapshot} JSON, a {@code pool_snapshot} fact): the fold of every
         * fact of the pool before it. A start folds the pool from its last readable snapshot on; once a later one
         * is durable, the pool's records before this one no longer keep their segments.
         */
        POOL_SNAPSHOT(9);

        final byte code;

        Type(int code) {
            this.code = (byte) code;
        }

        private static final Type[] BY_CODE = new Type[128];

        static {
            for (Type t : values()) {
                BY_CODE[t.code] = t;
            }
        }

        static Type of(byte code) {
            return code >= 0 ? BY_CODE[code] : null;
        }
    }

    public WalRecord {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(body, "body");
        tag = tag == null ? "" : tag;
    }

    public static WalRecord of(Type type, String key, byte[] body) {
        return new WalRecord(type, key, 0, "", body);
    }

    /** Bytes this record takes in a segment, frame included. */
    public int frameBytes() {
        return WalFormat.frameBytes(this);
    }

    /** The origin participant id of an {@link Type#EVENT} tag, or null. */
    public String originPid() {
        int space = tag.indexOf(' ');
        return space <= 0 ? null : tag.substring(0, space);
    }

    /** The cid of an {@link Type#EVENT} tag, or null. */
    public String cid() {
        int space = tag.indexOf(' ');
        return space <= 0 ? null : tag.substring(space + 1);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
