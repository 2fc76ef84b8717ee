package dev.improv.server.room;

import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/**
 * A member of a room, identified by the participant id of its token. Outlives its connection for the resume
 * window, so a reconnect keeps identity, roster slot, clock offset and applied message ids.
 * Every field is owned by the room's owner thread.
 */
public final class Participant {
    /** How many recent client message ids are remembered for at-most-once application. */
    static final int REMEMBERED_CIDS = 512;

    private final String id;
    private final String name;
    private final Role role;
    private final long joinedAt;
    private MemberConnection connection;
    private boolean muted;
    private ScheduledFuture<?> resumeExpiry;
    private final ClockEstimate clock = new ClockEstimate();
    /** Live events held back while older ones are read from the log for this participant; null otherwise. */
    private List<byte[]> catchUp;
    /** cid -> seq of the event it produced (0 when it produced none). */
    private final Map<String, Long> appliedCids = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED_CIDS;
        }
    };

    Participant(String id, String name, Role role, long joinedAt) {
        this.id = id;
        this.name = name;
        this.role = role;
        this.joinedAt = joinedAt;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    public Role role() {
        return role;
    }

    long joinedAt() {
        return joinedAt;
    }

    MemberConnection connection() {
        return connection;
    }

    void attach(MemberConnection c) {
        this.connection = c;
    }

    boolean connected() {
        return connection != null;
    }

    boolean muted() {
        return muted;
    }

    void muted(boolean m) {
        this.muted = m;
    }

    List<byte[]> catchUp() {
        return catchUp;
    }

    void catchUp(List<byte[]> heldBack) {
        this.catchUp = heldBack;
    }

    ClockEstimate clock() {
        return clock;
    }

    void resumeExpiry(ScheduledFuture<?> f) {
        if (resumeExpiry != null) {
            resumeExpiry.cancel(false);
        }
        resumeExpiry = f;
    }

    Long appliedSeq(String cid) {
        return appliedCids.get(cid);
    }

    void applied(String cid, long seq) {
        appliedCids.put(cid, seq);
    }

    ServerMessage.Member view() {
        return new ServerMessage.Member(id, name, role, connected(), muted);
    }

    /** Sends a direct message if connected; dropped otherwise (the client re-syncs from the welcome). */
    void sendDirect(ServerMessage message) {
        if (connection != null) {
            connection.send(message);
        }
    }
}
