package dev.improv.server.room;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member catching up after its welcome: the room events from {@code from} to the room's latest, sent as fast as
 * the member's connection takes them and no faster. A cursor, not a copy: events come from the room's in-memory
 * history, or in chunks read back from the session log when they are older than that, so catching up holds at most
 * one chunk in memory, and the connection holds at most its replay window ({@link MemberConnection#replayCredit}).
 * Live events published meanwhile are not sent to this member; they enter the history and the cursor reaches them
 * in order, so every seq arrives exactly once. When the cursor reaches the latest event members may see (see
 * {@link HeldEvents}) the member is live again. Seqs skipped at a restart come back from the log as empty entries
 * and are passed over.
 *
 * <p>Catching up is flow control, never a slow-consumer offence: only a connection that takes no bytes for
 * {@link RoomLimits#catchUpStallMs()} is cut ({@link ErrorCode#SLOW_CONSUMER}). Owner thread only; at any time
 * the catch-up is running, waiting for credit, waiting for a log read, or done.
 */
final class CatchUp {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);
    /** Bytes aimed at per read back from the log (the chunk size in events follows the history's average). */
    static final long READ_BACK_TARGET_BYTES = 4L << 20;
    static final int READ_BACK_MIN_EVENTS = 16;
    static final int READ_BACK_MAX_EVENTS = 16_384;

    private final Room room;
    private final Participant participant;
    private final MemberConnection conn;
    private final long firstSeq;
    /** The next seq to send. */
    private long next;
    /** Events read back from the log, starting at {@link #chunkFirst}; null when none are held. */
    private List<byte[]> chunk;
    private long chunkFirst;
    private boolean reading;
    private boolean waiting;
    private boolean done;
    private boolean toldUnavailable;
    private ScheduledFuture<?> stall;

    CatchUp(Room room, Participant participant, MemberConnection conn, long from) {
        this.room = room;
        this.participant = participant;
        this.conn = conn;
        this.firstSeq = from;
        this.next = from;
    }

    /** Whether this is still the member's catch-up on this connection (not replaced, gone or finished). */
    private boolean current() {
        return !done && participant.catchUp() == this && participant.connection() == conn;
    }

    /** Sends what the connection takes now; then waits for credit or for the log, or finishes. */
    void pump() {
        waiting = false;
        cancelStall();
        if (!current()) {
            return;
        }
        List<SharedFrame> batch = new ArrayList<>();
        long credit = conn.replayCredit();
        long last = room.visibleSeq(); // not past the durable seq reservation: held events come live
        try {
            while (credit > 0 && next <= last) {
                byte[] event = eventAt(next);
                if (event == null) {
                    break;
                }
                if (event.length == 0) { // a seq skipped at a restart: no event has it
                    next++;
                    continue;
                }
                batch.add(room.frames().wrap(event));
                credit -= event.length;
                next++;
            }
            if (!batch.isEmpty()) {
                conn.sendReplay(batch);
            }
        } finally {
            for (SharedFrame f : batch) {
                f.release();
            }
        }
        if (next > last) {
            finish();
        } else if (eventAt(next) == null) {
            readFromLog();
        } else {
            waitForCredit();
        }
    }

    private byte[] eventAt(long seq) {
        if (chunk != null) {
            long i = seq - chunkFirst;
            if (i >= 0 && i < chunk.size()) {
                return chunk.get((int) i);
            }
            chunk = null; // passed: free it
        }
        return room.history().get(seq);
    }

    private void readFromLog() {
        if (reading) {
            return;
        }
        reading = true;
        long from = next;
        long to = Math.min(room.history().firstAvailable(), from + chunkEvents());
        room.journal().readBack(from, to,
                events -> room.execute(() -> {
                    reading = false;
                    chunk = events;
                    chunkFirst = from;
                    pump();
                }),
                failure -> room.execute(() -> {
                    reading = false;
                    readBackFailed(from, to, failure);
                }));
    }

    private void readBackFailed(long from, long to, Exception failure) {
        if (!current()) {
            return;
        }
        LOG.warn("room {}: replay of seq {}..{} for {} from the session log failed: {}", room.id(), from, to - 1,
                participant.id(), failure.toString());
        if (!toldUnavailable) {
            toldUnavailable = true;
            room.metrics().error(ErrorCode.REPLAY_UNAVAILABLE);
            conn.send(new ServerMessage.Error(ErrorCode.REPLAY_UNAVAILABLE, "lastSeq",
                    "events from seq " + from + " to " + (room.history().firstAvailable() - 1) + " could not be read "
                            + "back from the session log; the welcome carries the current room state", null));
        }
        next = Math.max(next, room.history().firstAvailable());
        pump();
    }

    /** Events per read back: about {@link #READ_BACK_TARGET_BYTES}, judged by the history's average event size. */
    private long chunkEvents() {
        EventHistory h = room.history();
        long average = h.size() == 0 ? 256 : Math.max(1, h.bytes() / h.size());
        return Math.max(READ_BACK_MIN_EVENTS, Math.min(READ_BACK_MAX_EVENTS, READ_BACK_TARGET_BYTES / average));
    }

    private void waitForCredit() {
        waiting = true;
        stall = room.schedule(this::stalled, room.limits().catchUpStallMs());
        conn.onReplayCredit(() -> room.execute(this::pump));
    }

    private void stalled() {
        if (!waiting || !current()) {
            return;
        }
        done = true;
        LOG.info("room {}: {} took no events for {} ms while catching up (seq {} of {}); cut as a slow consumer",
                room.id(), participant.id(), room.limits().catchUpStallMs(), next, room.lastSeq());
        room.metrics().error(ErrorCode.SLOW_CONSUMER);
        conn.close(ErrorCode.SLOW_CONSUMER, "stopped reading while catching up; reconnect with lastSeq to resume");
    }

    private void finish() {
        done = true;
        chunk = null;
        participant.catchUp(null);
        LOG.debug("room {}: {} caught up from seq {} to {}", room.id(), participant.id(), firstSeq, next - 1);
    }

    /** Stops for good (the member rejoined or left); callbacks still in flight find it not current. */
    void abandon() {
        done = true;
        chunk = null;
        cancelStall();
    }

    private void cancelStall() {
        if (stall != null) {
            stall.cancel(false);
            stall = null;
        }
    }

    /** For tests and logs: the next seq this catch-up will send. */
    long nextSeq() {
        return next;
    }
}
