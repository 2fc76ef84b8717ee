package dev.improv.server.room;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;

/** One live connection of a participant, as the room sees it. All methods are thread-safe and never block. */
public interface MemberConnection {
    /** Sends a room event encoded once for all recipients. May disconnect a slow consumer instead. */
    void send(SharedFrame frame);

    /** Sends a message addressed to this connection only. */
    void send(ServerMessage message);

    /** Ends the connection with a close code and reason taken from {@code code}, after what was queued. */
    void close(ErrorCode code, String reason);

    /** For logs: the remote address. */
    String remoteAddress();
}
