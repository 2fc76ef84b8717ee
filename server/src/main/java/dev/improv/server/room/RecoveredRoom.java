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
    /** The cids applied in this session, with the same bounds as a live room's. */
    final AppliedCids appliedCids = new AppliedCids();
    /** The last events, oldest first, as stored; at most {@code limits.historyEvents()}. */
    final ArrayDeque<Object[]> recent = new ArrayDeque<>();
    long seq;
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

    /** The last seq in the log. */
    public long lastSeq() {
        return seq;
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
            damage = damage != null ? damage : "seq " + eventSeq + " follows " + seq;
            return;
        }
        seq = eventSeq;
        lastEvent = bytes;
        String type = typeOf(bytes);
        if (type != null && BULK.contains(type)) {
            if (type.equals("prompt")) {
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

    /** Event types that change no room state this fold keeps (beyond seq, cids and history). */
    private static final Set<String> BULK = Set.of("prompt", "mark", "clock");
    private static final byte[] TYPE_PREFIX = "{\"type\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The type of an event as the server encodes it (type first), or null when it does not start that way. */
    private static String typeOf(byte[] bytes) {
        if (bytes.length <= TYPE_PREFIX.length) {
            return null;
        }
        for (int i = 0; i < TYPE_PREFIX.length; i++) {
            if (bytes[i] != TYPE_PREFIX[i]) {
                return null;
            }
        }
        for (int i = TYPE_PREFIX.length; i < bytes.length && i < TYPE_PREFIX.length + 32; i++) {
            if (bytes[i] == '"') {
                return new String(bytes, TYPE_PREFIX.length, i - TYPE_PREFIX.length,
                        java.nio.charset.StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    private void remember(long eventSeq, byte[] bytes, String originPid, String cid) {
        if (originPid != null && cid != null) {
            appliedCids.applied(originPid, cid, eventSeq);
        }
        recent.addLast(new Object[] {eventSeq, bytes});
        while (recent.size() > limits.historyEvents()) {
            recent.removeFirst();
        }
    }

    /** A participant was banned (kicked) from the room. */
    public void ban(String participantId) {
        banned.add(participantId);
    }

}
