package dev.improv.server.eventlog;

import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The start-up fold of the log, one record at a time in log order: per session not yet exported, its index and
 * (while it is open) a {@link RecoveredRoom}; per pool, its facts from its last readable snapshot on (a snapshot
 * is the fold of every fact before it, so those are dropped); per segment, what it holds (for retention).
 * A session whose close is in the log drops its room fold at once, so memory follows open sessions only.
 * Start-up thread only.
 */
final class WalRecovery implements WalSegments.Visitor {
    /** A session found in the log. */
    static final class SessionFold {
        final String id;
        final SeqIndex index = new SeqIndex();
        RecoveredRoom room;
        /** The session's opening record's body: the room fold's arguments, for a checkpoint. */
        byte[] openBody;
        SessionMeta meta;
        byte[] closeBody;
        /** The last seq reservation in the log: the restarted room goes on above it. */
        long reserved;
        /** The segment in which this session was last noted as having records (for retention). */
        int notedIn = -1;

        SessionFold(String id) {
            this.id = id;
        }
    }

    final Map<String, SessionFold> sessions = new LinkedHashMap<>();
    final Map<String, List<LobbyFact>> pools = new LinkedHashMap<>();
    /** The pools' facts as stored (what a checkpoint keeps), in the same order as {@link #pools}. */
    final Map<String, List<byte[]>> poolBodies = new LinkedHashMap<>();
    /**
     * Per pool, the log positions of its last two snapshots ({@code [previous, last]}, -1 for none), readable or
     * not: a pool record before the previous one is superseded (retention may delete it).
     */
    final Map<String, long[]> snapshots = new HashMap<>();
    final Map<Integer, FileWriteAheadLog.SegmentUse> uses = new HashMap<>();
    final List<String> problems = new ArrayList<>();
    long records;
    private int orphans;
    /** Position of the last record folded, and the end of it (the log position this fold covers); 0 before any. */
    long lastPosition;
    long coveredTo;
    /** The segment being scanned and what it holds (records come segment by segment). */
    private FileWriteAheadLog.SegmentUse use;
    private int useSegment;

    @Override
    public void record(WalRecord r, long position) throws IOException {
        records++;
        lastPosition = position;
        coveredTo = position + r.frameBytes();
        int segment = WalFormat.segmentOf(position);
        if (use == null || segment != useSegment) {
            use = uses.computeIfAbsent(segment, k -> new FileWriteAheadLog.SegmentUse());
            useSegment = segment;
        }
        if (r.type() == WalRecord.Type.POOL_FACT || r.type() == WalRecord.Type.POOL_SNAPSHOT) {
            use.pools.put(r.key(), position);
            if (r.type() == WalRecord.Type.POOL_SNAPSHOT && !r.tag().isEmpty()) {
                snapshotChunk(r, position);
                return;
            }
            abandonChunks(r.key());
            if (r.type() == WalRecord.Type.POOL_FACT && CLOSED_TAG.equals(r.tag())) {
                closedAt(snapshots, r.key(), position);
                pools.remove(r.key());
                poolBodies.remove(r.key());
                return;
            }
            if (r.type() == WalRecord.Type.POOL_SNAPSHOT) {
                snapshotAt(snapshots, r.key(), position);
            }
            poolFact(r.key(), r.body(), r.type() == WalRecord.Type.POOL_SNAPSHOT, position);
            return;
        }
        if (r.type() != WalRecord.Type.SESSION_OPEN) {
            SessionFold known = sessions.get(r.key());
            if (known == null || known.notedIn != segment) { // once per session and segment, not per record
                use.sessions.add(r.key());
                if (known != null) {
                    known.notedIn = segment;
                }
            }
        } else {
            use.sessions.add(r.key());
        }
        if (r.type() == WalRecord.Type.SESSION_OPEN) {
            SessionFold f = opened(r.key(), r.body());
            f.notedIn = segment;
            sessions.put(r.key(), f);
            return;
        }
        SessionFold f = sessions.get(r.key());
        if (f == null) {
            if (r.type() != WalRecord.Type.SESSION_EXPORTED && orphans++ < 10) {
                problem("session " + r.key() + ": " + r.type() + " without an open session, skipped");
            }
            return;
        }
        switch (r.type()) {
            case EVENT -> {
                try {
                    f.index.add(r.seq(), position);
                } catch (IllegalStateException e) {
                    problem("session " + r.key() + ": " + e.getMessage());
                }
                if (f.room != null) {
                    f.room.event(r.seq(), r.body(), r.originPid(), r.cid());
                }
            }
            case SEQ_RESERVE -> {
                f.reserved = r.seq();
                if (f.room != null) {
                    f.room.reserved(r.seq());
                }
            }
            case ROOM_FACT -> {
                WalFacts.RoomFact fact = ProtocolCodec.mapper().readValue(r.body(), WalFacts.RoomFact.class);
                if (f.room != null && "ban".equals(fact.fact())) {
                    f.room.ban(fact.participant());
                }
            }
            case SESSION_CLOSE -> {
                f.closeBody = r.body();
                f.meta = ProtocolCodec.mapper().readValue(r.body(), SessionMeta.class);
                f.room = null;
            }
            case SESSION_EXPORTED -> sessions.remove(r.key());
            default -> {
                // META: rebuilt from the events
            }
        }
    }

    /**
     * Adds a pool's fact (a {@link PoolSnapshot} replaces every fact before it). One that cannot be read is
     * skipped and reported; for a snapshot that means the pool is folded from its previous snapshot (or its
     * opening) and every fact since, as if the snapshot had not been written — retention keeps those on disk.
     * {@code snapshotRecord}: whether the record was a {@link WalRecord.Type#POOL_SNAPSHOT}, null when not known
     * (from a checkpoint: the body says); {@code position}: where the record is in the log, or -1.
     */
    private void poolFact(String pool, byte[] body, Boolean snapshotRecord, long position) {
        String where = position < 0 ? "" : " at segment " + WalFormat.segmentOf(position) + " offset "
                + WalFormat.offsetOf(position);
        try {
            LobbyFact fact = ProtocolCodec.mapper().readValue(body, LobbyFact.class);
            if (snapshotRecord != null && snapshotRecord != fact instanceof PoolSnapshot) {
                throw new IOException("a " + (snapshotRecord ? "snapshot record" : "fact record") + " holding "
                        + fact.getClass().getSimpleName());
            }
            List<LobbyFact> facts = pools.computeIfAbsent(pool, k -> new ArrayList<>());
            List<byte[]> bodies = poolBodies.computeIfAbsent(pool, k -> new ArrayList<>());
            if (fact instanceof PoolSnapshot) {
                facts.clear();
                bodies.clear();
            }
            facts.add(fact);
            bodies.add(body);
        } catch (IOException | RuntimeException e) {
            boolean snapshot = Boolean.TRUE.equals(snapshotRecord);
            problem("pool " + pool + ": unreadable " + (snapshot ? "snapshot" : "fact") + where + " skipped ("
                    + e.getMessage() + ")" + (snapshot ? "; the pool is folded from its previous snapshot or its "
                    + "opening and every fact since" : ""));
        }
    }

    /**
     * Where a chunked snapshot stands: its id and count, the position of its first chunk, the chunks so far (one
     * after the other, in order). A pool's chunks are written one after another with none of its other records
     * between them ({@code FileWriteAheadLog} queues them together).
     */
    private static final class ChunkedSnapshot {
        final Chunk first;
        final long position;
        final List<byte[]> bodies = new ArrayList<>();

        ChunkedSnapshot(Chunk first, long position) {
            this.first = first;
            this.position = position;
        }
    }

    /** The tag of a chunk of a snapshot: {@code "<snapshot id> <index>/<count>"} (index from 0). */
    record Chunk(String id, int index, int count) {
        /** The chunk a snapshot record's tag names, or null for a whole snapshot (no tag) or a tag that is not one. */
        static Chunk of(String tag) {
            int space = tag.indexOf(' ');
            int slash = tag.indexOf('/', space + 1);
            if (space <= 0 || slash < 0) {
                return null;
            }
            try {
                int index = Integer.parseInt(tag, space + 1, slash, 10);
                int count = Integer.parseInt(tag, slash + 1, tag.length(), 10);
                return index >= 0 && index < count ? new Chunk(tag.substring(0, space), index, count) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    static String chunkTag(String id, int index, int count) {
        return id + " " + index + "/" + count;
    }

    /** Chunked snapshots begun and not finished yet, by pool. */
    private final Map<String, ChunkedSnapshot> chunking = new HashMap<>();

    /**
     * One chunk of a chunked snapshot. The snapshot counts (for retention, and as the pool's new start) only at
     * its last chunk, when every chunk before it came in order: then it is read from the chunks put together,
     * at the position of its first one. A chunk out of order, a missing one (the rest of a segment lost, a crash
     * between chunks), or another record of the pool before the last chunk: the snapshot is reported and skipped,
     * and the pool is folded from its previous snapshot as for an unreadable one.
     */
    private void snapshotChunk(WalRecord r, long position) {
        String pool = r.key();
        Chunk c = Chunk.of(r.tag());
        ChunkedSnapshot underway = chunking.get(pool);
        if (c == null || (c.index() > 0 && (underway == null || !underway.first.id().equals(c.id())
                || underway.first.count() != c.count() || underway.bodies.size() != c.index()))) {
            abandonChunks(pool);
            problem("pool " + pool + ": snapshot chunk '" + r.tag() + "' at segment " + WalFormat.segmentOf(position)
                    + " offset " + WalFormat.offsetOf(position) + " does not follow the chunks before it, skipped");
            return;
        }
        if (c.index() == 0) {
            abandonChunks(pool);
            underway = new ChunkedSnapshot(c, position);
            chunking.put(pool, underway);
        }
        underway.bodies.add(r.body());
        if (underway.bodies.size() < c.count()) {
            return;
        }
        chunking.remove(pool);
        int length = 0;
        for (byte[] b : underway.bodies) {
            length += b.length;
        }
        byte[] body = new byte[length];
        int at = 0;
        for (byte[] b : underway.bodies) {
            System.arraycopy(b, 0, body, at, b.length);
            at += b.length;
        }
        snapshotAt(snapshots, pool, underway.position);
        poolFact(pool, body, true, underway.position);
    }

    /**
     * Reports and forgets the chunked snapshot {@code pool} has underway, if any: it will not be finished. (The
     * report does not say what ended it, so that a start from a checkpoint, which ends it at the checkpoint's
     * position, reports what a scan of the whole log reports.)
     */
    private void abandonChunks(String pool) {
        ChunkedSnapshot s = chunking.remove(pool);
        if (s != null) {
            problem("pool " + pool + ": snapshot " + s.first.id() + " at segment " + WalFormat.segmentOf(s.position)
                    + " offset " + WalFormat.offsetOf(s.position) + " is incomplete (" + s.bodies.size() + " of "
                    + s.first.count() + " chunks), skipped; the pool is folded from its previous snapshot or its "
                    + "opening and every fact since");
        }
    }

    /**
     * The end of the fold: a chunked snapshot still underway will not be finished (the log ends inside it, e.g. a
     * crash between its chunks) and is reported like any other incomplete one.
     */
    void endOfLog() {
        for (String pool : List.copyOf(chunking.keySet())) {
            abandonChunks(pool);
        }
    }

    /** The tag of a pool's {@code pool_closed} fact record: the writer and a start see the close without parsing. */
    static final String CLOSED_TAG = "closed";

    /**
     * Notes that {@code pool} closed at {@code position}: every record of it up to there, the close included, is
     * superseded — kept as two snapshot marks just after the close, so the rule of {@link #superseded} and the
     * checkpoint's format stay as they are. A pool opened again under the same id starts after it.
     */
    static void closedAt(Map<String, long[]> snapshots, String pool, long position) {
        snapshots.put(pool, new long[] {position + 1, position + 1});
    }

    /** Notes a snapshot of {@code pool} at {@code position} (the last two count). */
    static void snapshotAt(Map<String, long[]> snapshots, String pool, long position) {
        long[] s = snapshots.computeIfAbsent(pool, k -> new long[] {-1, -1});
        s[0] = s[1];
        s[1] = position;
    }

    /**
     * Whether a record of {@code pool} at {@code position} is no longer needed: it comes before the pool's
     * second-to-last snapshot. (The last one alone would do while it is readable; keeping one more means an
     * unreadable last snapshot still finds the previous one and every fact since.)
     */
    static boolean superseded(Map<String, long[]> snapshots, String pool, long position) {
        long[] s = snapshots.get(pool);
        return s != null && s[0] >= 0 && position < s[0];
    }

    /**
     * One sentence per pool whose facts do not start with its opening or a snapshot (the start of its history
     * was deleted after a snapshot that cannot be read now, or lost to damage): such a pool is not rebuilt.
     */
    List<String> poolsWithoutStart() {
        List<String> out = new ArrayList<>();
        pools.forEach((pool, facts) -> {
            if (!facts.isEmpty() && !(facts.get(0) instanceof LobbyFact.PoolOpened)
                    && !(facts.get(0) instanceof PoolSnapshot)) {
                out.add("pool " + pool + ": its facts in the log do not start with pool_opened or a readable "
                        + "snapshot (" + facts.size() + " facts after the gap); the pool is not rebuilt");
            }
        });
        return out;
    }

    /** A session's fold from its opening record: an open room with nothing in it yet. */
    private static SessionFold opened(String id, byte[] openBody) throws IOException {
        WalFacts.SessionOpened o = ProtocolCodec.mapper().readValue(openBody, WalFacts.SessionOpened.class);
        SessionFold f = new SessionFold(id);
        f.openBody = openBody;
        f.room = new RecoveredRoom(o.sessionId(), o.roomId(), o.roomName(), o.startedAt(), o.limits().toLimits());
        f.meta = new SessionMeta(o.sessionId(), o.roomId(), o.roomName(), o.startedAt(), null,
                dev.improv.server.protocol.ServerMessage.PROTOCOL_VERSION, null, List.of(), List.of());
        return f;
    }

    // ---- checkpoint state (WalCheckpoint): everything above, written and read back exactly ----

    void writeState(java.io.DataOutputStream out) throws IOException {
        // The log never hands out a checkpoint inside a chunked snapshot it is writing; one still underway here was
        // cut short (a crash between its chunks) and can never be finished: reported now, as a start would.
        endOfLog();
        out.writeLong(records);
        out.writeInt(orphans);
        out.writeInt(problems.size());
        for (String p : problems) {
            RecoveredRoom.writeString(out, p);
        }
        out.writeInt(uses.size());
        for (Map.Entry<Integer, FileWriteAheadLog.SegmentUse> u : uses.entrySet()) {
            out.writeInt(u.getKey());
            out.writeInt(u.getValue().pools.size());
            for (Map.Entry<String, Long> p : u.getValue().pools.entrySet()) {
                RecoveredRoom.writeString(out, p.getKey());
                out.writeLong(p.getValue());
            }
            out.writeInt(u.getValue().sessions.size());
            for (String id : u.getValue().sessions) {
                RecoveredRoom.writeString(out, id);
            }
        }
        out.writeInt(snapshots.size());
        for (Map.Entry<String, long[]> s : snapshots.entrySet()) {
            RecoveredRoom.writeString(out, s.getKey());
            out.writeLong(s.getValue()[0]);
            out.writeLong(s.getValue()[1]);
        }
        out.writeInt(poolBodies.size());
        for (Map.Entry<String, List<byte[]>> p : poolBodies.entrySet()) {
            RecoveredRoom.writeString(out, p.getKey());
            out.writeInt(p.getValue().size());
            for (byte[] body : p.getValue()) {
                RecoveredRoom.writeBytes(out, body);
            }
        }
        out.writeInt(sessions.size());
        for (SessionFold f : sessions.values()) {
            RecoveredRoom.writeString(out, f.id);
            RecoveredRoom.writeBytes(out, f.openBody);
            RecoveredRoom.writeBytes(out, f.closeBody);
            out.writeLong(f.reserved);
            out.writeInt(f.notedIn);
            f.index.writeTo(out);
            out.writeBoolean(f.room != null);
            if (f.room != null) {
                f.room.writeState(out);
            }
        }
    }

    static WalRecovery readState(ByteBufferInput in) throws IOException {
        WalRecovery w = new WalRecovery();
        w.records = in.readLong();
        w.orphans = in.readInt();
        for (int n = in.readInt(); n > 0; n--) {
            w.problems.add(RecoveredRoom.readString(in));
        }
        for (int n = in.readInt(); n > 0; n--) {
            FileWriteAheadLog.SegmentUse use = new FileWriteAheadLog.SegmentUse();
            int segment = in.readInt();
            for (int m = in.readInt(); m > 0; m--) {
                use.pools.put(RecoveredRoom.readString(in), in.readLong());
            }
            for (int m = in.readInt(); m > 0; m--) {
                use.sessions.add(RecoveredRoom.readString(in));
            }
            w.uses.put(segment, use);
        }
        for (int n = in.readInt(); n > 0; n--) {
            w.snapshots.put(RecoveredRoom.readString(in), new long[] {in.readLong(), in.readLong()});
        }
        for (int n = in.readInt(); n > 0; n--) {
            String pool = RecoveredRoom.readString(in);
            for (int m = in.readInt(); m > 0; m--) {
                w.poolFact(pool, readBody(in), null, -1);
            }
        }
        for (int n = in.readInt(); n > 0; n--) {
            String id = RecoveredRoom.readString(in);
            byte[] openBody = RecoveredRoom.readBytes(in);
            SessionFold f = opened(id, openBody);
            f.closeBody = RecoveredRoom.readBytes(in);
            f.reserved = in.readLong();
            f.notedIn = in.readInt();
            f.index.readFrom(in);
            boolean open = in.readBoolean();
            if (open) {
                f.room.readState(in);
            } else {
                f.room = null;
            }
            if (f.closeBody != null) {
                f.meta = ProtocolCodec.mapper().readValue(f.closeBody, SessionMeta.class);
            }
            w.sessions.put(id, f);
        }
        return w;
    }

    /** A stored pool body: a snapshot put together from chunks may pass the 16 MiB of other byte strings. */
    private static byte[] readBody(ByteBufferInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.remaining()) {
            throw new IOException("pool body of " + n + " bytes");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private void problem(String what) {
        problems.add(what);
    }

    /** The sessions still open at the end of the log, in the order they opened. */
    List<RecoveredRoom> openRooms() {
        List<RecoveredRoom> out = new ArrayList<>();
        for (SessionFold f : sessions.values()) {
            if (f.room != null) {
                out.add(f.room);
            }
        }
        return out;
    }
}
