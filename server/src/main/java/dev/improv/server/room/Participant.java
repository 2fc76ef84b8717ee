package dev.improv.server.room;

import dev.improv.server.protocol.Capability;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

/**
 * A member of a room, identified by the participant id of its token. Outlives its connection for the resume
 * window, so a reconnect keeps identity, roster slot and clock offset. Applied message ids live longer, in the
 * room's {@link AppliedCids}.
 * Every field is owned by the room's owner thread.
 */
public final class Participant {
    private final String id;
    private final String name;
    private final Role role;
    /** From the join token; empty for most members. */
    private final List<Capability> capabilities;
    private final long joinedAt;
    private MemberConnection connection;
    private boolean muted;
    private ScheduledFuture<?> resumeExpiry;
    private final ClockEstimate clock = new ClockEstimate();
    /** The replay this member's connection is catching up with; null once it is live. */
    private CatchUp catchUp;

    Participant(String id, String name, Role role, long joinedAt) {
        this(id, name, role, List.of(), joinedAt);
    }

    Participant(String id, String name, Role role, List<Capability> capabilities, long joinedAt) {
        this.id = id;
        this.name = name;
        this.role = role;
        this.capabilities = List.copyOf(capabilities);
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

    public List<Capability> capabilities() {
        return capabilities;
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

    CatchUp catchUp() {
        return catchUp;
    }

    void catchUp(CatchUp c) {
        this.catchUp = c;
    }

    /** Abandons a catch-up in progress (the connection is replaced or gone). */
    void stopCatchUp() {
        if (catchUp != null) {
            catchUp.abandon();
            catchUp = null;
        }
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

    ServerMessage.Member view() {
        return new ServerMessage.Member(id, name, role, connected(), muted, capabilities);
    }

    /** Sends a direct message if connected; dropped otherwise (the client re-syncs from the welcome). */
    void sendDirect(ServerMessage message) {
        if (connection != null) {
            connection.send(message);
        }
    }
}
