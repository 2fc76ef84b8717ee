package dev.improv.server.eventlog;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session log: one writer thread ({@value #THREAD_NAME}) owns every log file. Room threads hand over events
 * through a lock-free queue and return at once; the writer drains everything queued (all sessions), writes each
 * session's lines, forces each touched file once (group commit), and only then tells each session how far it is
 * durable. With {@link FsyncPolicy#BATCH} nothing is acknowledged before it is forced; with {@code INTERVAL} and
 * {@code OFF} an event is acknowledged once written.
 *
 * <p>When the disk fails, the writer keeps the events in memory in order, tells each session once per failure
 * streak ({@link SessionJournal.DurabilityListener#writeFailed}), retries with backoff, and acknowledges nothing
 * that is not written. A half-written batch is cut off before the retry, so the file never holds a torn line or a
 * duplicate. The queue is unbounded so that no event is ever dropped; its depth is a metric and a growing backlog
 * is logged loudly.
 */
public final class SessionLogWriter implements SessionJournal, AutoCloseable {
    public static final String THREAD_NAME = "session-log-writer";
    private static final Logger LOG = LoggerFactory.getLogger(SessionLogWriter.class);
    private static final int MAX_OPS_PER_BATCH = 65_536;
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FIRST_BACKLOG_WARNING = 10_000;

    /**
     * How the writer behaves.
     *
     * @param fsync           when written lines are forced (see {@link FsyncPolicy})
     * @param fsyncIntervalMs for {@link FsyncPolicy#INTERVAL}: least time between two forces
     * @param retryMinMs      first wait after a failed write; doubles per failure up to {@code retryMaxMs}
     * @param closeTimeoutMs  how long {@link #close()} keeps retrying a failing disk before giving up
     */
    public record Settings(FsyncPolicy fsync, long fsyncIntervalMs, long retryMinMs, long retryMaxMs,
                           long closeTimeoutMs) {
        public Settings {
            java.util.Objects.requireNonNull(fsync, "fsync");
            if (fsyncIntervalMs < 1 || retryMinMs < 1 || retryMaxMs < retryMinMs || closeTimeoutMs < 0) {
                throw new IllegalArgumentException("invalid session log writer settings");
            }
        }

        /** Retries after 100 ms .. 2 s; close waits up to 10 s for a failing disk. */
        public static Settings of(FsyncPolicy fsync, long fsyncIntervalMs) {
            return new Settings(fsync, Math.max(1, fsyncIntervalMs), 100, 2_000, 10_000);
        }

        public Settings withRetry(long minMs, long maxMs) {
            return new Settings(fsync, fsyncIntervalMs, minMs, maxMs, closeTimeoutMs);
        }

        public Settings withCloseTimeout(long ms) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, ms);
        }
    }

    private final LogStorage storage;
    private final Settings settings;
    private final ServerMetrics metrics;
    private final Thread thread;
    /** Reads events back for late joiners, so that the writer thread never waits for a read. */
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "session-log-reader");
        t.setDaemon(true);
        return t;
    });

    /** Producers (room threads) offer, the writer thread polls. */
    private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
    /** Ids of sessions opened and not yet finished: written by open (any thread) and by the writer thread. */
    private final Set<String> liveIds = ConcurrentHashMap.newKeySet();
    /** Set by the writer thread just before it parks; read by producers to decide whether to unpark it. */
    private volatile boolean writerParked;
    /** Set once by {@link #close()}; read by every thread. */
    private volatile boolean closing;

    // ---- writer thread only ----
    private final Set<SessionState> dirty = new LinkedHashSet<>();
    private final Set<SessionState> unfinished = new LinkedHashSet<>();
    private final List<SessionState> writtenThisBatch = new ArrayList<>();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private long lastIntervalForce = System.nanoTime();
    private long heldEvents;
    private long nextBacklogWarning = FIRST_BACKLOG_WARNING;

    public SessionLogWriter(LogStorage storage, Settings settings, ServerMetrics metrics) {
        this.storage = storage;
        this.settings = settings;
        this.metrics = metrics;
        this.thread = new Thread(this::run, THREAD_NAME);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    // ------------------------------------------------------------------ producer side (any room thread)

    @Override
    public JournalSession open(SessionMeta meta, DurabilityListener listener) {
        if (!SessionFiles.validId(meta.sessionId())) {
            throw new IllegalArgumentException("session id must match " + SessionFiles.ID + ": " + meta.sessionId());
        }
        if (!liveIds.add(meta.sessionId())) {
            throw new IllegalStateException("session " + meta.sessionId() + " is already open in the log");
        }
        SessionState state = new SessionState(meta.sessionId(), listener);
        enqueue(new Op.Meta(state, meta));
        return new Handle(state);
    }

    private void enqueue(Op op) {
        if (closing) {
            LOG.error("session {}: the session log writer is closed; {} not written", op.session().id,
                    op.getClass().getSimpleName());
            return;
        }
        queue.offer(op);
        if (writerParked) {
            LockSupport.unpark(thread);
        }
    }

    /** What a room holds. Its methods are called on the room's owner thread only. */
    private final class Handle implements JournalSession {
        private final SessionState state;
        /** Owner thread only. */
        private boolean closed;

        Handle(SessionState state) {
            this.state = state;
        }

        @Override
        public void append(long seq, byte[] eventJson) {
            if (closed) {
                LOG.error("session {}: event {} appended after close, not written", state.id, seq);
                return;
            }
            enqueue(new Op.Append(state, new Line(seq, eventJson, System.nanoTime())));
        }

        @Override
        public void updateMeta(SessionMeta meta) {
            if (!closed) {
                enqueue(new Op.Meta(state, meta));
            }
        }

        @Override
        public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                             Consumer<Exception> failed) {
            try {
                reader.execute(() -> {
                    try {
                        List<byte[]> events = storage.readEvents(state.id, fromSeq, toSeqExclusive);
                        if (events.size() != toSeqExclusive - fromSeq) {
                            throw new IOException("the log holds " + events.size() + " of the "
                                    + (toSeqExclusive - fromSeq) + " events from seq " + fromSeq);
                        }
                        done.accept(events);
                    } catch (IOException | RuntimeException e) {
                        failed.accept(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                failed.accept(e);
            }
        }

        @Override
        public void close(SessionMeta finalMeta) {
            if (!closed) {
                closed = true;
                enqueue(new Op.Close(state, finalMeta));
            }
        }
    }

    /**
     * Flushes everything queued, forces it (unless the policy is OFF), closes every file and stops the writer
     * thread. Waits at most the close timeout (plus a second) for a failing disk; what cannot be written by then
     * is reported as lost.
     */
    @Override
    public void close() {
        closing = true;
        reader.shutdown();
        LockSupport.unpark(thread);
        try {
            thread.join(settings.closeTimeoutMs() + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.error("session log writer did not stop in time");
        }
    }

    // ------------------------------------------------------------------ writer thread

    private void run() {
        long giveUpAt = 0;
        boolean closeSeen = false;
        while (true) {
            try {
                int drained = drain();
                long now = System.nanoTime();
                flush(now);
                reportBacklog();
                if (closing) {
                    if (!closeSeen) {
                        closeSeen = true;
                        giveUpAt = now + TimeUnit.MILLISECONDS.toNanos(settings.closeTimeoutMs());
                    }
                    if (queue.isEmpty() && dirty.isEmpty()) {
                        break;
                    }
                    if (now - giveUpAt >= 0 && queue.isEmpty()) {
                        LOG.error("session log writer closing with {} events not written (disk failing)", heldEvents);
                        break;
                    }
                }
                if (drained < MAX_OPS_PER_BATCH) {
                    park(now);
                }
            } catch (RuntimeException | Error e) {
                LOG.error("session log writer: unexpected failure; carrying on", e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(settings.retryMinMs()));
            }
        }
        for (SessionState s : unfinished) {
            closeFile(s, settings.fsync() != FsyncPolicy.OFF);
            liveIds.remove(s.id);
        }
        unfinished.clear();
    }

    private void park(long now) {
        long wait = IDLE_PARK_NANOS;
        for (SessionState s : dirty) {
            if (s.failing) {
                wait = Math.min(wait, s.retryAt - now);
            } else if (s.forceNeeded && settings.fsync() == FsyncPolicy.INTERVAL) {
                wait = Math.min(wait, lastIntervalForce + intervalNanos() - now);
            } else {
                wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(1)); // work left: look again soon
            }
        }
        if (wait <= 0) {
            return;
        }
        writerParked = true;
        if (queue.isEmpty() && !closing) {
            LockSupport.parkNanos(this, wait);
        } else if (queue.isEmpty()) {
            LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(10)));
        }
        writerParked = false;
    }

    private int drain() {
        int n = 0;
        Op op;
        while (n < MAX_OPS_PER_BATCH && (op = queue.poll()) != null) {
            n++;
            SessionState s = op.session();
            if (s.finished) {
                LOG.error("session {}: work queued after the log was closed, ignored", s.id);
                continue;
            }
            if (op instanceof Op.Append a) {
                s.unwritten.addLast(a.line());
                heldEvents++;
            } else if (op instanceof Op.Meta m) {
                s.metaToWrite = m.meta(); // only the latest version matters
            } else if (op instanceof Op.Close c) {
                s.metaToWrite = c.meta().endedAt() != null ? c.meta() : withEnd(c.meta());
                s.closeRequested = true;
            }
            unfinished.add(s);
            dirty.add(s);
        }
        return n;
    }

    /** Group commit: write every ready session, then force each touched file once, then acknowledge. */
    private void flush(long now) {
        if (dirty.isEmpty()) {
            return;
        }
        boolean intervalDue = settings.fsync() == FsyncPolicy.INTERVAL
                && now - lastIntervalForce >= intervalNanos();
        writtenThisBatch.clear();
        for (SessionState s : dirty) {
            if (s.failing && now - s.retryAt < 0) {
                continue; // backing off
            }
            try {
                write(s);
                writtenThisBatch.add(s);
            } catch (IOException | RuntimeException e) {
                failed(s, e, now);
            }
        }
        boolean forcedOnInterval = false;
        for (SessionState s : writtenThisBatch) {
            try {
                boolean forceNow = s.forceNeeded && (settings.fsync() == FsyncPolicy.BATCH || intervalDue
                        || s.closeRequested || closing);
                if (forceNow) {
                    s.file.force();
                    s.forceNeeded = false;
                    forcedOnInterval |= settings.fsync() == FsyncPolicy.INTERVAL;
                    s.committed += s.unforcedBytes;
                    s.unforcedBytes = 0;
                    s.acknowledgeable.addAll(s.unforced);
                    s.unforced.clear();
                }
                if (s.metaToWrite != null && s.unwritten.isEmpty() && s.unforced.isEmpty()) {
                    // Only the final version is forced: meta.json can be rebuilt from the log, the authority.
                    storage.writeMeta(s.id, metaJson(s.metaToWrite),
                            settings.fsync() != FsyncPolicy.OFF && s.closeRequested);
                    s.metaToWrite = null;
                }
                if (s.failing) {
                    s.failing = false;
                    s.backoffMs = 0;
                    LOG.warn("session {}: session log writable again", s.id);
                    notify(s, () -> s.listener.writeRecovered());
                }
                acknowledge(s, System.nanoTime());
                if (s.closeRequested && s.unwritten.isEmpty() && s.unforced.isEmpty() && !s.forceNeeded
                        && s.metaToWrite == null) {
                    finish(s);
                }
            } catch (IOException | RuntimeException e) {
                failed(s, e, now);
            }
        }
        if (forcedOnInterval) {
            lastIntervalForce = now;
        }
        dirty.removeIf(s -> s.finished || s.idle());
    }

    /** Opens the file when needed and writes every unwritten line; BATCH lines wait for the force. */
    private void write(SessionState s) throws IOException {
        if (s.file == null) {
            open(s);
        }
        if (s.unwritten.isEmpty()) {
            return;
        }
        long bytes = 0;
        buffer.clear();
        for (Line line : s.unwritten) {
            int need = line.json.length + 1;
            if (buffer.remaining() < need) {
                if (buffer.position() > 0) {
                    buffer.flip();
                    s.file.write(buffer);
                    buffer.clear();
                }
                if (buffer.capacity() < need) {
                    buffer = ByteBuffer.allocateDirect(need);
                }
            }
            buffer.put(line.json).put((byte) '\n');
            bytes += need;
        }
        buffer.flip();
        s.file.write(buffer);
        if (settings.fsync() == FsyncPolicy.BATCH) {
            s.unforced.addAll(s.unwritten);
            s.unforcedBytes += bytes;
        } else {
            s.committed += bytes;
            s.acknowledgeable.addAll(s.unwritten);
        }
        s.unwritten.clear();
        s.forceNeeded = settings.fsync() != FsyncPolicy.OFF;
    }

    private void open(SessionState s) throws IOException {
        LogStorage.EventFile file = storage.openEvents(s.id);
        try {
            long size = file.size();
            if (s.committed < 0) {
                s.committed = size; // first open: the storage already cut any torn tail
            } else if (size > s.committed) {
                file.truncate(s.committed); // a failed attempt left part of a batch: it is written again
            } else if (size < s.committed) {
                LOG.error("session {}: the log file shrank from {} to {} bytes while failing; acknowledged events "
                        + "are missing from it", s.id, s.committed, size);
                s.committed = size;
            }
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
        s.file = file;
    }

    private void acknowledge(SessionState s, long now) {
        if (s.acknowledgeable.isEmpty()) {
            return;
        }
        long upTo = s.ackedSeq;
        for (Line line : s.acknowledgeable) {
            upTo = Math.max(upTo, line.seq);
            metrics.logDurable(now - line.appendedAt);
        }
        heldEvents -= s.acknowledgeable.size();
        s.acknowledgeable.clear();
        if (upTo > s.ackedSeq) {
            s.ackedSeq = upTo;
            long seq = upTo;
            notify(s, () -> s.listener.durableUpTo(seq));
        }
    }

    private void failed(SessionState s, Exception e, long now) {
        metrics.logWriteFailed();
        closeFile(s, false);
        // Written but not forced: not durable, written again after the file is cut back to what is.
        while (!s.unforced.isEmpty()) {
            s.unwritten.addFirst(s.unforced.removeLast());
        }
        s.unforcedBytes = 0;
        s.backoffMs = s.failing ? Math.min(s.backoffMs * 2, settings.retryMaxMs()) : settings.retryMinMs();
        s.retryAt = now + TimeUnit.MILLISECONDS.toNanos(s.backoffMs);
        if (!s.failing) {
            s.failing = true;
            LOG.error("session {}: session log write failed; {} events kept in memory, retrying", s.id,
                    s.unwritten.size(), e);
            notify(s, () -> s.listener.writeFailed(e));
        } else {
            LOG.debug("session {}: session log still failing, next try in {} ms", s.id, s.backoffMs, e);
        }
    }

    private void finish(SessionState s) {
        closeFile(s, false); // forced above unless the policy is OFF
        s.finished = true;
        unfinished.remove(s);
        liveIds.remove(s.id);
    }

    private void closeFile(SessionState s, boolean force) {
        if (s.file == null) {
            return;
        }
        try {
            if (force && s.forceNeeded) {
                s.file.force();
            }
        } catch (IOException e) {
            LOG.error("session {}: final fsync failed", s.id, e);
        }
        try {
            s.file.close();
        } catch (IOException e) {
            LOG.debug("session {}: closing the log file failed", s.id, e);
        }
        s.file = null;
    }

    private void reportBacklog() {
        metrics.logQueueDepth(heldEvents);
        if (heldEvents >= nextBacklogWarning) {
            LOG.warn("session log backlog: {} events held in memory, not yet durable", heldEvents);
            nextBacklogWarning *= 2;
        } else if (heldEvents < FIRST_BACKLOG_WARNING / 2) {
            nextBacklogWarning = FIRST_BACKLOG_WARNING;
        }
    }

    private static void notify(SessionState s, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("session {}: durability listener failed", s.id, e);
        }
    }

    private long intervalNanos() {
        return TimeUnit.MILLISECONDS.toNanos(settings.fsyncIntervalMs());
    }

    private static SessionMeta withEnd(SessionMeta m) {
        long now = System.currentTimeMillis() * 1_000;
        return new SessionMeta(m.sessionId(), m.roomId(), m.roomName(), m.startedAt(), now, m.protocolVersion(),
                m.serverVersion(), m.participants(), m.scenes());
    }

    static byte[] metaJson(SessionMeta meta) {
        try {
            return ProtocolCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(meta);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("session meta could not be encoded", e);
        }
    }

    // ------------------------------------------------------------------ state

    /** One event line waiting to become durable. */
    private record Line(long seq, byte[] json, long appendedAt) {
    }

    /** Work handed from a room thread to the writer thread. */
    private sealed interface Op {
        SessionState session();

        record Append(SessionState session, Line line) implements Op {
        }

        record Meta(SessionState session, SessionMeta meta) implements Op {
        }

        record Close(SessionState session, SessionMeta meta) implements Op {
        }
    }

    /** A session as the writer sees it. Every mutable field: writer thread only. */
    private static final class SessionState {
        final String id;
        final DurabilityListener listener;
        final ArrayDeque<Line> unwritten = new ArrayDeque<>();
        /** BATCH: written, not yet forced, so not yet acknowledged. */
        final ArrayDeque<Line> unforced = new ArrayDeque<>();
        /** Durable (or written, under INTERVAL and OFF) and about to be acknowledged. */
        final List<Line> acknowledgeable = new ArrayList<>();
        LogStorage.EventFile file;
        /** Bytes of the file known to be good; -1 before the first open. */
        long committed = -1;
        long unforcedBytes;
        boolean forceNeeded;
        SessionMeta metaToWrite;
        boolean closeRequested;
        boolean finished;
        long ackedSeq;
        boolean failing;
        long backoffMs;
        long retryAt;

        SessionState(String id, DurabilityListener listener) {
            this.id = id;
            this.listener = listener;
        }

        boolean idle() {
            return !failing && unwritten.isEmpty() && unforced.isEmpty() && !forceNeeded && metaToWrite == null
                    && !closeRequested;
        }
    }
}
