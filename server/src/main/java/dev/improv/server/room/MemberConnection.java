package dev.improv.server.room;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import java.util.List;

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

    /**
     * Flow control for catching up: how many bytes of replayed events the connection takes now without holding more
     * than its replay window of them unsent; 0 or less means wait for {@link #onReplayCredit}. The default has no
     * window (everything is taken at once).
     */
    default long replayCredit() {
        return Long.MAX_VALUE;
    }

    /**
     * Sends replayed room events, in order, after everything sent before. They count against the replay credit
     * until they are on the wire, and never make this connection a slow consumer (the window bounds them).
     */
    default void sendReplay(List<SharedFrame> frames) {
        for (SharedFrame frame : frames) {
            send(frame);
        }
    }

    /**
     * Runs {@code task} once, on any thread, when replay credit is back (at once, on the caller's thread, when there
     * is credit now). A connection that closes meanwhile may never run it.
     */
    default void onReplayCredit(Runnable task) {
        task.run();
    }
}
