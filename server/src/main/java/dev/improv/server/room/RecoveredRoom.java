package dev.improv.server.room;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.Capability;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A room session folded back from the log after a restart: feed it the session's room events in seq order (and
 * its bans); it keeps what a live {@link Room} needs — seq, scene, lock, roster with mute state, bans, consents,
 * the participants first seen and the scenes for the metadata, the applied cids of each participant, and the last
 * events for the in-memory history. {@link RoomRegistry#restore} turns it into a running room. One thread
 * (start-up); not shared.
 */
public final class RecoveredRoom {
    /**
     * Events per room kept in memory by the fold and handed to the rebuilt room's history: only the tail (what
     * resuming members most likely need); everything older is read back from the log when asked for. Keeps the
     * memory of a restart with many long sessions small.
     */
    public static final int RECOVERED_HISTORY_EVENTS = 64;

    /** A participant as the log last saw it. */
    record Member(String id, String name, Role role, long joinedAt, boolean connected, boolean muted,
                  List<Capability> capabilities) {
        Member with(boolean nowConnected, boolean nowMuted) {
            return new Member(id, name, role, joinedAt, nowConnected, nowMuted, capabilities);
        }
    }

    private final String sessionId;
    private final String roomId;
    private final String roomName;
    private final long startedAt;
    private final RoomLimits limits;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Set<String> banned = new HashSet<>();
    final Set<String> consented = new HashSet<>();
    final List<SessionMeta.ParticipantInfo> everJoined = new ArrayList<>();
    final List<SessionMeta.SceneInfo> scenes = new ArrayList<>();
    /**
     * The cids applied in this session: per participant (least recently active first) a ring of the last
     * {@link AppliedCids#PER_PARTICIPANT}, the most a live room remembers. Filled with an array store per event
     * (a fold of a million events made a hash-map insert per event its largest cost); {@link #appliedCidsInto}
     * replays them into a room's {@link AppliedCids} in the order that rebuilds its eviction order.
     */
    private final LinkedHashMap<String, CidRing> cids = new LinkedHashMap<>(16, 0.75f, true);
    private String lastOrigin;
    private CidRing lastRing;
    /** The last events, oldest first, as stored; at most {@code limits.historyEvents()}. */
    final ArrayDeque<Object[]> recent = new ArrayDeque<>();
    long seq;
    /** The last seq reservation in the log: seqs up to it may have been seen, so the room goes on above it. */
    long reserved;
    private long lastTs;
    /** The last event's bytes: its time is read once, at the end (most events are never parsed). */
    private byte[] lastEvent;
    boolean locked;
    int scene;
    boolean sceneActive;
    String sceneTitle;
    /** The last prompt's bytes, parsed once when the room is rebuilt. */
    private byte[] lastPromptBytes;
    private boolean closed;
    private String damage;
    /**
     * The lobby pool that made the room (its {@code pool} fact), or null. Read by the cluster's fold (a node taking
     * the room over sends its times to that pool); the node's own log finds a room's pool through the pools' facts,
     * so this is not part of the checkpoint state below.
     */
    private String pool;

    public RecoveredRoom(String sessionId, String roomId, String roomName, long startedAt, RoomLimits limits) {
        this.sessionId = sessionId;
        this.roomId = roomId;
        this.roomName = roomName;
        this.startedAt = startedAt;
        this.limits = limits;
    }

    public String sessionId() {
        return sessionId;
    }

    public String roomId() {
        return roomId;
    }

    public String roomName() {
        return roomName;
    }

    public long startedAt() {
        return startedAt;
    }

    public RoomLimits limits() {
        return limits;
    }

    /** The lobby pool that made the room, or null. */
    public String pool() {
        return pool;
    }

    /** The room's {@code pool} fact: {@code poolId} made it. */
    public void pool(String poolId) {
        this.pool = poolId;
    }

    /** The last seq in the log. */
    public long lastSeq() {
        return seq;
    }

    /** Seqs of this session were reserved up to {@code upTo} (the last reservation counts). */
    public void reserved(long upTo) {
        reserved = upTo;
    }

    /**
     * The last seq members may have seen: the last reservation, or the last event when that is higher. The
     * restarted room goes on after it; seqs after {@link #lastSeq} and up to it were never given to an event.
     */
    public long reservedSeq() {
        return Math.max(seq, reserved);
    }

    /** Server µs of the last event in the log (the start when there is none). */
    public long lastTs() {
        if (lastEvent != null) {
            try {
                lastTs = Math.max(lastTs, ProtocolCodec.mapper().readTree(lastEvent).path("ts").asLong());
            } catch (java.io.IOException e) {
                // keep what the parsed events said
            }
            lastEvent = null;
        }
        return lastTs == 0 ? startedAt : lastTs;
    }

    /** The last prompt pushed in the session, or null. */
    RoomEvent.Prompt lastPrompt() {
        if (lastPromptBytes == null) {
            return null;
        }
        try {
            return ProtocolCodec.mapper().readValue(lastPromptBytes, RoomEvent.Prompt.class);
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** True when a {@code room_closed} event was folded in. */
    public boolean closed() {
        return closed;
    }

    /** Why this session cannot be rebuilt as a room (its log is damaged), or null. */
    public String damage() {
        return damage;
    }

    /** Folds one room event in: {@code bytes} exactly as stored; {@code cid} applied by {@code originPid}. */
    public void event(long eventSeq, byte[] bytes, String originPid, String cid) {
        if (eventSeq != seq + 1) {
            if (eventSeq <= seq || !declaresSkip(bytes, seq + 1, eventSeq - 1)) {
                damage = damage != null ? damage : "seq " + eventSeq + " follows " + seq;
                return;
            }
            recent.clear(); // the history starts again after the skipped seqs; older events come from the log
        }
        seq = eventSeq;
        lastEvent = bytes;
        int bulk = bulkType(bytes);
        if (bulk >= 0) {
            if (bulk == PROMPT) {
                lastPromptBytes = bytes;
            }
            remember(eventSeq, bytes, originPid, cid);
            return; // the bulk of a session: nothing to rebuild from them but seq, cid and history
        }
        JsonNode e;
        try {
            e = ProtocolCodec.mapper().readTree(bytes);
        } catch (java.io.IOException ex) {
            damage = damage != null ? damage : "event " + eventSeq + " is not JSON";
            return;
        }
        long ts = e.path("ts").asLong();
        lastTs = Math.max(lastTs, ts);
        String id = e.path("id").asText(null);
        switch (e.path("type").asText()) {
            case "member_joined" -> {
                JsonNode m = e.path("member");
                Role role = Role.fromWire(m.path("role").asText());
                List<Capability> capabilities = new ArrayList<>();
                for (JsonNode c : m.path("capabilities")) {
                    Capability known = Capability.fromWire(c.asText());
                    if (known != null) { // one a newer server wrote is left out, not fatal
                        capabilities.add(known);
                    }
                }
                Member member = new Member(m.path("id").asText(), m.path("name").asText(), role, ts, true, false,
                        List.copyOf(capabilities));
                members.put(member.id(), member);
                everJoined.add(new SessionMeta.ParticipantInfo(member.id(), member.name(), role, ts, eventSeq));
            }
            case "presence" -> members.computeIfPresent(id,
                    (k, m) -> m.with(e.path("connected").asBoolean(), m.muted()));
            case "member_left" -> members.remove(id); // its cids stay: a rejoin must not apply them again
            case "muted" -> members.computeIfPresent(e.path("target").asText(),
                    (k, m) -> m.with(m.connected(), e.path("muted").asBoolean()));
            case "room_locked" -> locked = e.path("locked").asBoolean();
            case "scene_started" -> {
                scene = e.path("scene").asInt();
                sceneActive = true;
                sceneTitle = e.path("title").asText(null);
                scenes.add(new SessionMeta.SceneInfo(scene, sceneTitle, eventSeq, ts, null, null));
            }
            case "scene_ended" -> {
                sceneActive = false;
                if (!scenes.isEmpty()) {
                    SessionMeta.SceneInfo s = scenes.remove(scenes.size() - 1);
                    scenes.add(new SessionMeta.SceneInfo(s.number(), s.title(), s.startSeq(), s.startTs(), eventSeq,
                            ts));
                }
            }
            case "prompt" -> lastPromptBytes = bytes;
            case "consent" -> consented.add(e.path("participant").asText());
            case "server_restarted" -> members.replaceAll((k, m) -> m.with(false, m.muted()));
            case "room_closed" -> closed = true;
            default -> {
                // marks, clocks: nothing to rebuild
            }
        }
        remember(eventSeq, bytes, originPid, cid);
    }

    /**
     * Whether the event is the {@code server_restarted} that names exactly the seqs it skipped (those reserved
     * before a crash and never used), the only gap a session may have.
     */
    private static boolean declaresSkip(byte[] bytes, long from, long to) {
        try {
            JsonNode e = ProtocolCodec.mapper().readTree(bytes);
            return e.path("type").asText().equals("server_restarted") && e.path("skippedFrom").asLong() == from
                    && e.path("skippedTo").asLong() == to;
        } catch (java.io.IOException ex) {
            return false;
        }
    }

    /**
     * Event types that change no room state this fold keeps (beyond seq, cids and history), as the server encodes
     * them (type first, then its closing quote); index {@link #PROMPT} is the prompt.
     */
    private static final byte[][] BULK = java.util.stream.Stream.of("prompt", "mark", "clock")
            .map(t -> ("{\"type\":\"" + t + "\"").getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .toArray(byte[][]::new);
    private static final int PROMPT = 0;

    /** Which {@link #BULK} type the event is, or -1 (another type, or not encoded type first). No allocation. */
    private static int bulkType(byte[] bytes) {
        for (int t = 0; t < BULK.length; t++) {
            byte[] prefix = BULK[t];
            if (bytes.length > prefix.length && java.util.Arrays.equals(bytes, 0, prefix.length, prefix, 0,
                    prefix.length)) {
                return t;
            }
        }
        return -1;
    }

    private void remember(long eventSeq, byte[] bytes, String originPid, String cid) {
        if (originPid != null && cid != null) {
            CidRing ring;
            if (originPid.equals(lastOrigin)) {
                ring = lastRing; // already the most recent in the access order
            } else {
                ring = cids.computeIfAbsent(originPid, k -> new CidRing());
                lastOrigin = originPid;
                lastRing = ring;
            }
            ring.add(cid, eventSeq);
        }
        recent.addLast(new Object[] {eventSeq, bytes});
        while (recent.size() > Math.min(limits.historyEvents(), RECOVERED_HISTORY_EVENTS)) {
            recent.removeFirst();
        }
    }

    /** Replays the applied cids into {@code target}: participants least recent first, each one's oldest first. */
    void appliedCidsInto(AppliedCids target) {
        for (Map.Entry<String, CidRing> e : cids.entrySet()) {
            e.getValue().forEach((cid, seq) -> target.applied(e.getKey(), cid, seq));
        }
    }

    /** The last {@link AppliedCids#PER_PARTICIPANT} cids of one participant with their seqs, oldest first. */
    private static final class CidRing {
        private String[] cid = new String[8];
        private long[] seq = new long[8];
        private int next;
        private int size;

        void add(String c, long s) {
            if (size == cid.length && size < AppliedCids.PER_PARTICIPANT) {
                cid = java.util.Arrays.copyOf(cid, Math.min(AppliedCids.PER_PARTICIPANT, size * 2));
                seq = java.util.Arrays.copyOf(seq, cid.length);
                next = size;
            }
            cid[next] = c;
            seq[next] = s;
            next = (next + 1) % cid.length;
            size = Math.min(size + 1, cid.length);
        }

        void forEach(java.util.function.ObjLongConsumer<String> out) {
            int start = size < cid.length ? 0 : next;
            for (int i = 0; i < size; i++) {
                int at = (start + i) % cid.length;
                out.accept(cid[at], seq[at]);
            }
        }
    }

    // ---- checkpoint state: what the fold holds, written and read back exactly (eventlog.WalCheckpoint) ----

    /**
     * Writes everything this fold holds beyond its constructor's arguments (which the checkpoint keeps as the
     * session's opening record), so that {@link #readState} on a new fold of the same session continues exactly
     * where this one is.
     */
    public void writeState(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(members.size());
        for (Member m : members.values()) {
            writeString(out, m.id());
            writeString(out, m.name());
            writeString(out, m.role().wireName());
            out.writeLong(m.joinedAt());
            out.writeBoolean(m.connected());
            out.writeBoolean(m.muted());
            out.writeInt(m.capabilities().size());
            for (Capability c : m.capabilities()) {
                writeString(out, c.wireName());
            }
        }
        writeStrings(out, banned);
        writeStrings(out, consented);
        out.writeInt(everJoined.size());
        for (SessionMeta.ParticipantInfo p : everJoined) {
            writeString(out, p.id());
            writeString(out, p.name());
            writeString(out, p.role().wireName());
            out.writeLong(p.joinedAt());
            out.writeLong(p.joinedSeq());
        }
        out.writeInt(scenes.size());
        for (SessionMeta.SceneInfo s : scenes) {
            out.writeInt(s.number());
            writeString(out, s.title());
            out.writeLong(s.startSeq());
            out.writeLong(s.startTs());
            out.writeLong(s.endSeq() == null ? -1 : s.endSeq());
            out.writeLong(s.endTs() == null ? -1 : s.endTs());
        }
        out.writeInt(cids.size()); // in access order: least recently active first
        for (Map.Entry<String, CidRing> e : cids.entrySet()) {
            writeString(out, e.getKey());
            CidRing r = e.getValue();
            out.writeInt(r.cid.length);
            out.writeInt(r.next);
            out.writeInt(r.size);
            for (int i = 0; i < r.cid.length; i++) {
                writeString(out, r.cid[i]);
                out.writeLong(r.seq[i]);
            }
        }
        out.writeInt(recent.size());
        for (Object[] e : recent) {
            out.writeLong((Long) e[0]);
            writeBytes(out, (byte[]) e[1]);
        }
        out.writeLong(seq);
        out.writeLong(reserved);
        out.writeLong(lastTs);
        writeBytes(out, lastEvent);
        out.writeBoolean(locked);
        out.writeInt(scene);
        out.writeBoolean(sceneActive);
        writeString(out, sceneTitle);
        writeBytes(out, lastPromptBytes);
        out.writeBoolean(closed);
        writeString(out, damage);
    }

    /** Reads what {@link #writeState} wrote into this new fold (nothing folded in yet). */
    public void readState(java.io.DataInput in) throws java.io.IOException {
        if (seq != 0 || !members.isEmpty()) {
            throw new IllegalStateException("state is read into a new fold only");
        }
        for (int n = count(in); n > 0; n--) {
            String id = readString(in);
            String name = readString(in);
            Role role = Role.fromWire(readString(in));
            long joinedAt = in.readLong();
            boolean connected = in.readBoolean();
            boolean muted = in.readBoolean();
            List<Capability> capabilities = new ArrayList<>();
            for (int c = count(in); c > 0; c--) {
                Capability known = Capability.fromWire(readString(in));
                if (known != null) {
                    capabilities.add(known);
                }
            }
            members.put(id, new Member(id, name, role, joinedAt, connected, muted, List.copyOf(capabilities)));
        }
        readStrings(in, banned);
        readStrings(in, consented);
        for (int n = count(in); n > 0; n--) {
            everJoined.add(new SessionMeta.ParticipantInfo(readString(in), readString(in),
                    Role.fromWire(readString(in)), in.readLong(), in.readLong()));
        }
        for (int n = count(in); n > 0; n--) {
            int number = in.readInt();
            String title = readString(in);
            long startSeq = in.readLong();
            long startTs = in.readLong();
            long endSeq = in.readLong();
            long endTs = in.readLong();
            scenes.add(new SessionMeta.SceneInfo(number, title, startSeq, startTs, endSeq < 0 ? null : endSeq,
                    endTs < 0 ? null : endTs));
        }
        for (int n = count(in); n > 0; n--) {
            String pid = readString(in);
            CidRing r = new CidRing();
            int length = in.readInt();
            if (length < 1 || length > AppliedCids.PER_PARTICIPANT) {
                throw new java.io.IOException("cid ring of " + length);
            }
            r.cid = new String[length];
            r.seq = new long[length];
            r.next = in.readInt();
            r.size = in.readInt();
            if (r.next < 0 || r.next >= length || r.size < 0 || r.size > length) {
                throw new java.io.IOException("cid ring position " + r.next + "/" + r.size + " of " + length);
            }
            for (int i = 0; i < length; i++) {
                r.cid[i] = readString(in);
                r.seq[i] = in.readLong();
            }
            cids.put(pid, r);
        }
        for (int n = count(in); n > 0; n--) {
            long s = in.readLong();
            recent.addLast(new Object[] {s, readBytes(in)});
        }
        seq = in.readLong();
        reserved = in.readLong();
        lastTs = in.readLong();
        lastEvent = readBytes(in);
        locked = in.readBoolean();
        scene = in.readInt();
        sceneActive = in.readBoolean();
        sceneTitle = readString(in);
        lastPromptBytes = readBytes(in);
        closed = in.readBoolean();
        damage = readString(in);
    }

    private static void writeStrings(java.io.DataOutput out, Set<String> values) throws java.io.IOException {
        out.writeInt(values.size());
        for (String v : values) {
            writeString(out, v);
        }
    }

    private static void readStrings(java.io.DataInput in, Set<String> into) throws java.io.IOException {
        for (int n = count(in); n > 0; n--) {
            into.add(readString(in));
        }
    }

    /** A count written by {@link #writeState}: never negative, never more than a session could hold. */
    private static int count(java.io.DataInput in) throws java.io.IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 24) {
            throw new java.io.IOException("count " + n + " out of range");
        }
        return n;
    }

    public static void writeString(java.io.DataOutput out, String s) throws java.io.IOException {
        writeBytes(out, s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static String readString(java.io.DataInput in) throws java.io.IOException {
        byte[] b = readBytes(in);
        return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    public static void writeBytes(java.io.DataOutput out, byte[] b) throws java.io.IOException {
        if (b == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(b.length);
        out.write(b);
    }

    public static byte[] readBytes(java.io.DataInput in) throws java.io.IOException {
        int n = in.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > 16 << 20) {
            throw new java.io.IOException("byte string of " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** A participant was banned (kicked) from the room. */
    public void ban(String participantId) {
        banned.add(participantId);
    }

}
