package dev.improv.server.eventlog;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's write-ahead log on local files. One writer thread ({@value #THREAD_NAME}) owns the segment being
 * appended to; room and pool threads hand records over through a lock-free queue and return at once. The writer
 * drains everything queued (all sessions, all pools), writes it to the current segment in one go, forces the
 * segment once (group commit: one fsync per batch however many sessions it touches), checks that the segment is
 * still the file at its path, and only then tells each touched session how far it is durable. Segments roll at
 * {@link Settings#segmentBytes}.
 *
 * <p>A closed session, once durable, is exported to {@code sessions/<id>/events.jsonl} and {@code meta.json} by
 * the reader thread (the stored event bytes copied through the per-session index, never re-encoded); a
 * {@code SESSION_EXPORTED} record then frees its index, and segments holding only exported sessions and no pool
 * facts are deleted.
 *
 * <p>When the disk fails (write or fsync error, full, read-only, the segment deleted), the writer keeps every
 * record not durable in memory, in order, tells every open session once per failure streak
 * ({@code writeFailed}), acknowledges nothing, and retries with backoff: it cuts half-written bytes off, or writes
 * a deleted segment anew from the descriptor still open, then writes the kept records again. Producers never
 * block; the bytes held are bounded by {@link Settings#backlogBytes} in the sense that rooms refuse client
 * messages beyond it ({@code LOG_BACKLOG}).
 */
public final class FileWriteAheadLog implements WriteAheadLog {
    public static final String THREAD_NAME = "wal-writer";
    private static final Logger LOG = LoggerFactory.getLogger(FileWriteAheadLog.class);
    private static final int MAX_RECORDS_PER_BATCH = 65_536;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long EXPORT_RETRY_MS = 2_000;
    /** How often the writer checks that the earlier segments are still there. */
    private static final long WATCH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Seqs reserved per {@link WalRecord.Type#SEQ_RESERVE} record, and how many must still be left before the
     * next block is asked for. Members see an event only once its seq is durably reserved; asking a whole block
     * ahead, half a block before it runs out, means the reservation is durable long before it is needed (a room
     * would have to publish 512 events within one fsync to wait). A crash skips at most one block and a half.
     */
    static final long RESERVE_BLOCK = 1024;
    static final long RESERVE_LOW_WATER = RESERVE_BLOCK / 2;
    private static final byte[] NO_BODY = new byte[0];
    /** What {@link JournalSession#readBack} hands over for a seq that no event has (skipped at a restart). */
    private static final byte[] NO_EVENT = new byte[0];

    /**
     * How the log behaves.
     *
     * @param fsync           when written records are forced (see {@link FsyncPolicy})
     * @param fsyncIntervalMs for {@link FsyncPolicy#INTERVAL}: least time between two forces
     * @param retryMinMs      first wait after a failed write; doubles per failure up to {@code retryMaxMs}
     * @param closeTimeoutMs  how long {@link #close()} keeps retrying a failing disk before giving up
     * @param segmentBytes    a segment is closed and the next one started once it holds this many bytes
     * @param backlogBytes    bytes accepted and not yet durable beyond which rooms refuse client messages
     * @param checkpointBytes log bytes after the last checkpoint at which the next one is written (a start scans
     *                        at most about this much of the log after the checkpoint)
     * @param lingerMicros    for {@link FsyncPolicy#BATCH}: least time from the end of one force to the start of the
     *                        next (0: force as soon as anything is written). Records that come meanwhile join the
     *                        next batch: fewer forces (each costs the kernel hundreds of microseconds of CPU here),
     *                        acknowledgements later by up to this much; never before their force
     */
    public record Settings(FsyncPolicy fsync, long fsyncIntervalMs, long retryMinMs, long retryMaxMs,
                           long closeTimeoutMs, long segmentBytes, long backlogBytes, long checkpointBytes,
                           long lingerMicros) {
        public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
        public static final long DEFAULT_BACKLOG_BYTES = 64L << 20;
        public static final long DEFAULT_CHECKPOINT_BYTES = 64L << 20;

        public Settings {
            java.util.Objects.requireNonNull(fsync, "fsync");
            if (fsyncIntervalMs < 1 || retryMinMs < 1 || retryMaxMs < retryMinMs || closeTimeoutMs < 0
                    || segmentBytes < 4096 || backlogBytes < 4096 || checkpointBytes < 4096 || lingerMicros < 0
                    || lingerMicros > 100_000) {
                throw new IllegalArgumentException("invalid write-ahead log settings");
            }
        }

        public Settings(FsyncPolicy fsync, long fsyncIntervalMs, long retryMinMs, long retryMaxMs,
                        long closeTimeoutMs, long segmentBytes, long backlogBytes) {
            this(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, closeTimeoutMs, segmentBytes, backlogBytes,
                    DEFAULT_CHECKPOINT_BYTES, 0);
        }

        public static Settings of(FsyncPolicy fsync, long fsyncIntervalMs) {
            return new Settings(fsync, Math.max(1, fsyncIntervalMs), 100, 2_000, 10_000, DEFAULT_SEGMENT_BYTES,
                    DEFAULT_BACKLOG_BYTES);
        }

        public Settings withCheckpointBytes(long bytes) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, closeTimeoutMs, segmentBytes,
                    backlogBytes, bytes, lingerMicros);
        }

        public Settings withLingerMicros(long micros) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, closeTimeoutMs, segmentBytes,
                    backlogBytes, checkpointBytes, micros);
        }

        public Settings withRetry(long minMs, long maxMs) {
            return new Settings(fsync, fsyncIntervalMs, minMs, maxMs, closeTimeoutMs, segmentBytes, backlogBytes, checkpointBytes, lingerMicros);
        }

        public Settings withSegmentBytes(long bytes) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, closeTimeoutMs, bytes, backlogBytes, checkpointBytes, lingerMicros);
        }

        public Settings withBacklogBytes(long bytes) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, closeTimeoutMs, segmentBytes, bytes, checkpointBytes, lingerMicros);
        }

        public Settings withCloseTimeout(long ms) {
            return new Settings(fsync, fsyncIntervalMs, retryMinMs, retryMaxMs, ms, segmentBytes, backlogBytes, checkpointBytes, lingerMicros);
        }
    }

    private final WalStorage storage;
    private final WalSegments segments;
    private final SessionFiles files;
    private final Settings settings;
    private final ServerMetrics metrics;
    private final Thread thread;
    /** Reads records back (resumes, live exports) and exports closed sessions; never the writer thread. */
    private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "wal-reader");
        t.setDaemon(true);
        return t;
    });

    /** Writes checkpoints ({@link WalCheckpoint}) from the finished part of the log; never the writer thread. */
    private final java.util.concurrent.ExecutorService checkpointer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "wal-checkpoint");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        return t;
    });
    /**
     * Encodes pool snapshots (JSON, then chunks of {@link #SNAPSHOT_CHUNK_BYTES}) and queues them, off the pools'
     * threads and never on the writer; a pool's facts recorded meanwhile wait behind its snapshot ({@link PoolLane}).
     */
    private final java.util.concurrent.ExecutorService snapshotter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "wal-snapshot");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        return t;
    });
    /** Per pool, the order its records go to the queue in while a snapshot of it is encoded. Any thread. */
    private final Map<String, PoolLane> lanes = new ConcurrentHashMap<>();
    /** Names the chunked snapshots of this process (with the start time: unique across restarts). */
    private final AtomicLong chunkedSnapshots = new AtomicLong();
    private final String snapshotIdPrefix = Long.toString(System.currentTimeMillis(), 36) + ".";
    /** A checkpoint is being written (the writer sets it, the checkpoint thread clears it). */
    private final java.util.concurrent.atomic.AtomicBoolean checkpointing =
            new java.util.concurrent.atomic.AtomicBoolean();

    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Bytes accepted and not yet durable; producers add, the writer subtracts. */
    private final AtomicLong backlog = new AtomicLong();
    /** Sessions opened or recovered and not yet exported, by id. Any thread reads; open and the writer write. */
    private final Map<String, SessionState> sessions = new ConcurrentHashMap<>();
    private volatile boolean writerParked;
    /** Set by {@link #close()}: producers' records are refused from then on. */
    private volatile boolean closing;
    /** Set by {@link #close()} once exports are done: the writer stops when nothing is left. */
    private volatile boolean stopping;
    private volatile Recovered recovered;
    /** Segment rolls so far: the writer thread writes, pools' threads read ({@link #segmentRolls}). */
    private volatile long segmentRolls;

    // ---- writer thread only ----
    private final ArrayDeque<Pending> unwritten = new ArrayDeque<>();
    private final ArrayDeque<Pending> unforced = new ArrayDeque<>();
    private final Set<SessionState> touched = new LinkedHashSet<>();
    /** Per segment: which sessions have records there, and the pools' last record there (for retention). */
    private final Map<Integer, SegmentUse> uses;
    /** Per pool: positions of its last two durable snapshots (see {@link WalRecovery#snapshots}). */
    private final Map<String, long[]> poolSnapshots;
    /**
     * Per pool whose chunked snapshot is durable in part: the position of its first chunk. No checkpoint is taken
     * while one is (a checkpoint ends at a whole record of every pool, never inside a snapshot).
     */
    private final Map<String, Long> chunkedUnderway = new HashMap<>();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    /** Offset in the current segment up to which every record is acknowledged. */
    private long committed;
    private long lastIntervalForce = System.nanoTime();
    /** BATCH: when the last force ended (the linger counts from there). */
    private long lastForceEnd = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private boolean failing;
    /** INTERVAL: records were written since the last force. */
    private boolean forceOwed;
    private long backoffMs;
    private long retryAt;
    private long lastWatch = System.nanoTime();
    /** The last durable record (position, and the end of it) and the log bytes after the last checkpoint. */
    private long lastRecord;
    private long lastRecordEnd;
    private long sinceCheckpoint;

    /**
     * Opens the log under {@code dataDir}: scans every segment, cuts a torn tail off the last one, folds what it
     * holds (see {@link #takeRecovered}) and starts the writer thread.
     */
    public static FileWriteAheadLog open(java.nio.file.Path dataDir, Settings settings, ServerMetrics metrics)
            throws IOException {
        WalSegments segments = new WalSegments(dataDir);
        return new FileWriteAheadLog(segments, new FileWalStorage(segments, FileWalStorage.zeroStepFor(settings.segmentBytes())), new SessionFiles(dataDir), settings,
                metrics);
    }

    public FileWriteAheadLog(WalSegments segments, WalStorage storage, SessionFiles files, Settings settings,
                             ServerMetrics metrics) throws IOException {
        this.segments = segments;
        this.storage = storage;
        this.files = files;
        this.settings = settings;
        this.metrics = metrics;
        long started = System.nanoTime();
        StringBuilder unusable = new StringBuilder();
        WalCheckpoint.Loaded checkpoint = WalCheckpoint.load(segments, unusable);
        if (checkpoint == null && !unusable.isEmpty()) {
            LOG.warn("write-ahead log: {}; scanning the whole log instead", unusable);
        }
        WalRecovery fold = checkpoint != null ? checkpoint.fold() : new WalRecovery();
        long from = checkpoint != null ? checkpoint.covered() : 0;
        long recordsBefore = fold.records;
        WalSegments.ScanResult scan = segments.scan(fold, true, from, Long.MAX_VALUE, null);
        storage.openAppend(scan.lastSegment(), scan.end());
        this.committed = storage.offset();
        List<Integer> onDisk = segments.list();
        fold.uses.keySet().retainAll(new java.util.HashSet<>(onDisk)); // retention deleted the others
        this.uses = fold.uses;
        this.poolSnapshots = fold.snapshots;
        this.lastRecord = fold.lastPosition;
        this.lastRecordEnd = fold.coveredTo;
        this.sinceCheckpoint = fold.records - recordsBefore == 0 ? 0 : logBytes(onDisk, from, fold.coveredTo);
        for (int segment : onDisk) {
            if (segment < storage.segment()) {
                segments.hold(segment); // watched: deleted or replaced, it is noticed and written anew
            }
        }
        List<SessionState> toExport = new ArrayList<>();
        for (WalRecovery.SessionFold f : fold.sessions.values()) {
            SessionState s = new SessionState(f.id, null, f.index);
            s.ackedSeq = f.index.lastSeq();
            s.reserved = Math.max(f.reserved, f.index.lastSeq());
            if (f.room != null && s.reserved > f.index.lastSeq()) {
                f.index.skipTo(s.reserved); // the restarted room goes on after them: read back as no event
            }
            s.meta = f.meta;
            s.closeBody = f.closeBody;
            sessions.put(f.id, s);
            if (f.closeBody != null) {
                toExport.add(s);
            }
        }
        fold.endOfLog();
        List<String> problems = new ArrayList<>(scan.problems());
        problems.addAll(fold.problems);
        problems.addAll(fold.poolsWithoutStart());
        this.recovered = new Recovered(fold.openRooms(), fold.pools, problems);
        LOG.info("write-ahead log {}: {} records in {} segments{} in {} ms; {} open sessions, {} pools, "
                        + "{} closed sessions to export{}", segments.dir(), fold.records, uses.size(),
                checkpoint == null ? " scanned" : " (" + recordsBefore + " from the checkpoint, "
                        + (fold.records - recordsBefore) + " scanned after it)",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), recovered.rooms().size(),
                recovered.pools().size(), toExport.size(), scan.cutBytes() > 0 ? "; torn tail of "
                        + scan.cutBytes() + " bytes cut" : "");
        this.thread = new Thread(this::run, THREAD_NAME);
        this.thread.setDaemon(true);
        this.thread.start();
        for (SessionState s : toExport) {
            scheduleExport(s, 0);
        }
        java.util.Set<String> inLog = java.util.Set.copyOf(sessions.keySet());
        reader.execute(() -> LegacySessions.closeCrashed(files, inLog, settings.fsync() != FsyncPolicy.OFF));
    }

    @Override
    public Recovered takeRecovered() {
        Recovered r = recovered;
        recovered = new Recovered(List.of(), Map.of(), List.of());
        return r;
    }

    // ------------------------------------------------------------------ producers (any thread, never blocking)

    @Override
    public JournalSession open(SessionMeta meta, DurabilityListener listener) {
        return open(meta, DEFAULT_LIMITS, listener);
    }

    /** Limits recorded for sessions opened without any (tools and tests). */
    private static final RoomLimits DEFAULT_LIMITS = new RoomLimits(64, Map.of(), 30_000, 4096);

    @Override
    public JournalSession open(SessionMeta meta, RoomLimits limits, DurabilityListener listener) {
        if (!SessionFiles.validId(meta.sessionId())) {
            throw new IllegalArgumentException("session id must match " + SessionFiles.ID + ": " + meta.sessionId());
        }
        SessionState state = new SessionState(meta.sessionId(), listener, new SeqIndex());
        state.meta = meta;
        if (sessions.putIfAbsent(meta.sessionId(), state) != null) {
            throw new IllegalStateException("session " + meta.sessionId() + " is already open in the log");
        }
        enqueue(WalRecord.of(WalRecord.Type.SESSION_OPEN, meta.sessionId(), json(new WalFacts.SessionOpened(
                meta.sessionId(), meta.roomId(), meta.roomName(), meta.startedAt(), WalFacts.Limits.of(limits)))),
                state);
        Handle handle = new Handle(state);
        handle.reserve(RESERVE_BLOCK); // durable before the first member joins, as a rule
        return handle;
    }

    @Override
    public JournalSession resume(String roomId, String sessionId, DurabilityListener listener) {
        SessionState state = sessions.get(sessionId);
        if (state == null || state.closeBody != null) {
            throw new IllegalStateException("session " + sessionId + " is not open in the log");
        }
        state.listener = listener;
        return new Handle(state);
    }

    /**
     * A pool's fact is encoded here and queued; a {@link PoolSnapshot} is handed to the {@code wal-snapshot}
     * thread, which encodes it and queues it (whole, or as chunks when it is bigger than
     * {@link #SNAPSHOT_CHUNK_BYTES}), and the pool's facts recorded until then are queued after it, in order. So
     * the pool's thread spends only the snapshot's copy (its {@code PoolFold.snapshot}), and the log still holds
     * the snapshot exactly where the pool took it. Never blocks (the lane's lock is held for a queue operation).
     */
    @Override
    public void record(String pool, LobbyFact fact) {
        record(pool, fact, null);
    }

    /**
     * {@link #record(String, LobbyFact)}; {@code onDurable} runs on the writer thread once the fact's batch is
     * forced (in log order, so every earlier fact of the pool is durable too). While the disk fails it waits, as the
     * rooms' acks do; a fact the log drops at close never runs it.
     */
    @Override
    public void record(String pool, LobbyFact fact, Runnable onDurable) {
        Object item = fact instanceof PoolSnapshot snapshot ? snapshot
                : new DurablePoolRecord(new WalRecord(WalRecord.Type.POOL_FACT, pool, 0,
                        fact instanceof LobbyFact.PoolClosed ? WalRecovery.CLOSED_TAG : "", json(fact)), onDurable);
        PoolLane lane = lanes.computeIfAbsent(pool, k -> new PoolLane());
        synchronized (lane) {
            if (lane.busy) {
                lane.held.addLast(item);
                return;
            }
            if (item instanceof DurablePoolRecord r) {
                enqueue(r.record(), null, r.onDurable()); // under the lane's lock: ordered against a drain about to start
                return;
            }
            lane.busy = true;
            lane.held.addLast(item);
        }
        try {
            snapshotter.execute(() -> drain(pool, lane));
        } catch (RejectedExecutionException e) {
            drain(pool, lane); // the log is closing: on the caller's thread, so that nothing is left behind
        }
    }

    /** Queues a busy lane's records in order, encoding its snapshots, until it is empty (wal-snapshot thread). */
    private void drain(String pool, PoolLane lane) {
        while (true) {
            Object item;
            synchronized (lane) {
                item = lane.held.pollFirst();
                if (item == null) {
                    lane.busy = false;
                    return;
                }
            }
            try {
                if (item instanceof DurablePoolRecord r) {
                    enqueue(r.record(), null, r.onDurable());
                } else {
                    enqueueSnapshot(pool, (PoolSnapshot) item);
                }
            } catch (RuntimeException e) { // a snapshot that cannot be encoded: its facts keep their segments
                LOG.error("pool {}: snapshot not written", pool, e);
            }
        }
    }

    /**
     * Chunk size of a pool snapshot: one bigger than this is written as several {@link WalRecord.Type#POOL_SNAPSHOT}
     * records of at most this many body bytes, tagged {@code "<snapshot id> <index>/<count>"} (see
     * {@link WalRecovery}); a start uses it only when every chunk is there and readable.
     */
    static final int SNAPSHOT_CHUNK_BYTES = 4 << 20;

    private void enqueueSnapshot(String pool, PoolSnapshot snapshot) {
        byte[] body = json(snapshot);
        if (body.length <= SNAPSHOT_CHUNK_BYTES) {
            enqueue(WalRecord.of(WalRecord.Type.POOL_SNAPSHOT, pool, body), null);
            return;
        }
        int count = (body.length + SNAPSHOT_CHUNK_BYTES - 1) / SNAPSHOT_CHUNK_BYTES;
        String id = snapshotIdPrefix + chunkedSnapshots.incrementAndGet();
        for (int i = 0; i < count; i++) {
            int from = i * SNAPSHOT_CHUNK_BYTES;
            byte[] chunk = java.util.Arrays.copyOfRange(body, from, Math.min(body.length, from + SNAPSHOT_CHUNK_BYTES));
            enqueue(new WalRecord(WalRecord.Type.POOL_SNAPSHOT, pool, 0, WalRecovery.chunkTag(id, i, count), chunk),
                    null);
        }
        LOG.info("pool {}: snapshot of {} bytes written as {} chunks", pool, body.length, count);
    }

    /**
     * How many times the writer has rolled to a new segment since the log opened: when it moves, each pool writes
     * a snapshot (if it wrote facts since its last one), so that the segment just finished stops holding pool
     * facts once the snapshots after it are durable. Any thread; never blocks.
     */
    public long segmentRolls() {
        return segmentRolls;
    }

    private void enqueue(WalRecord record, SessionState session) {
        enqueue(record, session, null);
    }

    private void enqueue(WalRecord record, SessionState session, Runnable onDurable) {
        if (closing && session != null && record.type() != WalRecord.Type.SESSION_EXPORTED
                && record.type() != WalRecord.Type.SESSION_CLOSE && record.type() != WalRecord.Type.EVENT
                && record.type() != WalRecord.Type.SEQ_RESERVE) {
            LOG.error("write-ahead log closed: {} of {} not written", record.type(), record.key());
            return;
        }
        Pending p = new Pending(record, session, System.nanoTime(), onDurable);
        backlog.addAndGet(p.bytes);
        queue.offer(p);
        if (writerParked) {
            LockSupport.unpark(thread);
        }
    }

    private static byte[] json(Object value) {
        try {
            return ProtocolCodec.mapper().writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("log record could not be encoded", e);
        }
    }

    /** What a room holds; its methods run on the room's owner thread. */
    private final class Handle implements JournalSession {
        private final SessionState state;
        private boolean closed;
        /** The highest seq asked for (durable or not yet). */
        private long requested;

        Handle(SessionState state) {
            this.state = state;
            this.requested = state.reserved;
            state.handle = this;
        }

        /** Queues a reservation of the seqs up to {@code upTo}. */
        void reserve(long upTo) {
            requested = upTo;
            enqueue(new WalRecord(WalRecord.Type.SEQ_RESERVE, state.id, upTo, "", NO_BODY), state);
        }

        @Override
        public long reservedUpTo() {
            return Math.min(state.reserved, state.releasedAt);
        }

        @Override
        public void append(long seq, byte[] eventJson) {
            append(seq, eventJson, null, null);
        }

        @Override
        public void append(long seq, byte[] eventJson, String originPid, String cid) {
            if (closed) {
                LOG.error("session {}: event {} appended after close, not written", state.id, seq);
                return;
            }
            if (seq + RESERVE_LOW_WATER > requested && state.releasedAt == Long.MAX_VALUE) {
                reserve(seq + RESERVE_BLOCK); // queued before the event: an event is never durable before its seq
            }
            state.lastAppended = seq;
            String tag = originPid != null && cid != null ? originPid + " " + cid : "";
            enqueue(new WalRecord(WalRecord.Type.EVENT, state.id, seq, tag, eventJson), state);
        }

        @Override
        public void fact(String kind, String participantId) {
            if (!closed) {
                enqueue(WalRecord.of(WalRecord.Type.ROOM_FACT, state.id,
                        json(new WalFacts.RoomFact(kind, participantId))), state);
            }
        }

        @Override
        public void updateMeta(SessionMeta meta) {
            state.meta = meta; // rebuilt from the events on restart; kept here for the live session list
        }

        @Override
        public boolean backlogged() {
            return backlog.get() > settings.backlogBytes();
        }

        @Override
        public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                             Consumer<Exception> failed) {
            try {
                reader.execute(() -> {
                    try {
                        List<byte[]> out = new ArrayList<>((int) Math.max(0, toSeqExclusive - fromSeq));
                        readEvents(state, fromSeq, toSeqExclusive - 1, (seq, bytes) -> out.add(bytes), true);
                        done.accept(out);
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
            if (closed) {
                return;
            }
            closed = true;
            SessionMeta m = finalMeta.endedAt() != null ? finalMeta : new SessionMeta(finalMeta.sessionId(),
                    finalMeta.roomId(), finalMeta.roomName(), finalMeta.startedAt(),
                    System.currentTimeMillis() * 1_000, finalMeta.protocolVersion(), finalMeta.serverVersion(),
                    finalMeta.participants(), finalMeta.scenes());
            state.meta = m;
            state.handle = null;
            enqueue(WalRecord.of(WalRecord.Type.SESSION_CLOSE, state.id, json(m)), state);
        }
    }

    // ------------------------------------------------------------------ reading back (reader threads)

    /**
     * Hands the stored bytes of events [fromSeq, toSeq] to {@code sink}. A seq skipped at a restart has no event:
     * it is left out, or handed over as an empty array when {@code holes} is set.
     */
    private void readEvents(SessionState s, long fromSeq, long toSeq, EventSink sink, boolean holes)
            throws IOException {
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            long pos = s.index.get(seq);
            if (pos == SeqIndex.HOLE) {
                if (holes) {
                    sink.event(seq, NO_EVENT);
                }
                continue;
            }
            if (pos < 0 && s.index.released()) {
                throw new SessionArchive.ExportedMeanwhile(s.id); // its events.jsonl is complete by now
            }
            if (pos < 0) {
                throw new IOException("session " + s.id + ": event " + seq + " is not in the log (last durable "
                        + s.index.lastSeq() + ")");
            }
            WalRecord r = segments.readAt(pos);
            if (r.type() != WalRecord.Type.EVENT || r.seq() != seq || !r.key().equals(s.id)) {
                throw new IOException("session " + s.id + ": the index of event " + seq + " points elsewhere");
            }
            sink.event(seq, r.body());
        }
    }

    @Override
    public Optional<LiveSession> live(String sessionId) {
        SessionState s = sessions.get(sessionId);
        if (s == null || s.meta == null) {
            return Optional.empty();
        }
        return Optional.of(new LiveSession() {
            @Override
            public SessionMeta meta() {
                return s.meta;
            }

            @Override
            public long lastSeq() {
                return s.index.lastSeq();
            }

            @Override
            public void events(long fromSeq, long toSeq, EventSink sink) throws IOException {
                readEvents(s, Math.max(fromSeq, s.index.firstSeq()), Math.min(toSeq, s.index.lastSeq()), sink,
                        false);
            }
        });
    }

    @Override
    public List<String> liveIds() {
        return sessions.values().stream().filter(s -> s.meta != null).map(s -> s.id).sorted().toList();
    }

    // ------------------------------------------------------------------ export of closed sessions (reader thread)

    private void scheduleExport(SessionState s, long delayMs) {
        try {
            reader.schedule(() -> export(s), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.info("session {}: export left for the next start (shutting down)", s.id);
        }
    }

    /** Writes the session's per-session files from the log, forces them, then records that they exist. */
    private void export(SessionState s) {
        try {
            boolean sync = settings.fsync() != FsyncPolicy.OFF;
            SessionExport.write(files, s.id, s.closeBody, sync, sink -> readEvents(s, s.index.firstSeq(),
                    s.index.lastSeq(), sink, false));
            enqueue(WalRecord.of(WalRecord.Type.SESSION_EXPORTED, s.id, new byte[0]), s);
        } catch (IOException | RuntimeException e) {
            LOG.error("session {}: export to {} failed; retrying in {} ms", s.id, files.dir(s.id), EXPORT_RETRY_MS, e);
            scheduleExport(s, EXPORT_RETRY_MS);
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Writes and forces everything queued, lets the reader thread export the sessions that closed, records the
     * exports, then closes the segment. Waits at most the close timeout for a failing disk; what cannot be
     * written by then is reported as lost.
     */
    @Override
    public void close() {
        closing = true;
        releaseReservations();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.closeTimeoutMs());
        snapshotter.shutdown(); // the snapshots handed over are queued first (later ones: on their pool's thread)
        try {
            if (!snapshotter.awaitTermination(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                    TimeUnit.MILLISECONDS)) {
                LOG.error("write-ahead log: pool snapshots still being encoded at close; their pools' later facts "
                        + "are not written");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaitEmpty(deadline);
        reader.shutdown(); // runs the exports already scheduled now, the retries never
        try {
            reader.awaitTermination(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaitEmpty(deadline);
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.error("write-ahead log writer did not stop in time");
        }
        checkpointer.shutdown();
        try {
            checkpointer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive() && !failing && sinceCheckpoint > 0 && lastRecordEnd > 0 && chunkedUnderway.isEmpty()) {
            writeCheckpoint(lastRecord, lastRecordEnd); // the next start reads it and nothing of the log after it
        }
        segments.close();
    }

    /**
     * A clean stop gives the unused reserved seqs of every running session back (the rooms are suspended by now:
     * nobody saw more than their last event), so that the next start goes on without a gap.
     */
    private void releaseReservations() {
        for (SessionState s : sessions.values()) {
            Handle h = s.handle;
            if (h != null && s.closeBody == null && s.releasedAt == Long.MAX_VALUE) {
                long last = Math.max(s.lastAppended, s.index.lastSeq());
                s.releasedAt = last;
                enqueue(new WalRecord(WalRecord.Type.SEQ_RESERVE, s.id, last, "", NO_BODY), s);
            }
        }
    }

    private void awaitEmpty(long deadline) {
        while (backlog.get() > 0 && System.nanoTime() - deadline < 0 && thread.isAlive()) {
            LockSupport.unpark(thread);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    // ------------------------------------------------------------------ writer thread

    private void run() {
        while (true) {
            try {
                int drained = drain();
                long now = System.nanoTime();
                maybeCheckpoint();
                if (!unwritten.isEmpty() || !unforced.isEmpty() || forceOwed) {
                    if ((!failing || now - retryAt >= 0) && lingerLeft(now) <= 0) {
                        flush(now);
                    }
                }
                metrics.logQueueDepth(backlog.get());
                if (now - lastWatch >= WATCH_NANOS) {
                    lastWatch = now;
                    watchEarlierSegments();
                }
                if (stopping && queue.isEmpty() && ((unwritten.isEmpty() && unforced.isEmpty()) || failing)) {
                    if (!unwritten.isEmpty() || !unforced.isEmpty()) {
                        LOG.error("write-ahead log closing with {} records not written (disk failing)",
                                unwritten.size() + unforced.size());
                    }
                    break;
                }
                if (drained < MAX_RECORDS_PER_BATCH) {
                    park(now);
                }
            } catch (RuntimeException | Error e) {
                LOG.error("write-ahead log writer: unexpected failure; carrying on", e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(settings.retryMinMs()));
            }
        }
        try {
            if ((settings.fsync() == FsyncPolicy.BATCH || forceOwed) && !failing) {
                storage.force();
            }
            storage.close();
        } catch (IOException e) {
            LOG.error("write-ahead log: final fsync or close failed", e);
        }
    }

    private void park(long now) {
        long wait = IDLE_PARK_NANOS;
        if (failing) {
            wait = retryAt - now;
        } else if (forceOwed) {
            wait = lastIntervalForce + intervalNanos() - now;
        } else if (!unwritten.isEmpty()) {
            long linger = lingerLeft(now);
            if (linger > 0) { // producers do not wake it meanwhile: what they queue joins this batch
                LockSupport.parkNanos(this, linger);
            }
            return;
        }
        if (wait <= 0) {
            return;
        }
        writerParked = true;
        if (queue.isEmpty() && !stopping) {
            LockSupport.parkNanos(this, closing ? Math.min(wait, TimeUnit.MILLISECONDS.toNanos(5)) : wait);
        }
        writerParked = false;
    }

    /**
     * BATCH with a linger: nanoseconds until the next force may start (0 or less: now). Not while the log closes,
     * while a failure is retried, or once a batch's worth of bytes waits.
     */
    private long lingerLeft(long now) {
        if (settings.lingerMicros() == 0 || settings.fsync() != FsyncPolicy.BATCH || closing || failing
                || !unforced.isEmpty() || unwritten.size() >= MAX_RECORDS_PER_BATCH) {
            return 0;
        }
        return lastForceEnd + TimeUnit.MICROSECONDS.toNanos(settings.lingerMicros()) - now;
    }

    private int drain() {
        int n = 0;
        Pending p;
        while (n < MAX_RECORDS_PER_BATCH && (p = queue.poll()) != null) {
            unwritten.addLast(p);
            n++;
        }
        return n;
    }

    /** Group commit: write every unwritten record, force once, check the file, then acknowledge. */
    private void flush(long now) {
        try {
            if (failing) {
                storage.restore(committed);
            }
            if (storage.offset() >= settings.segmentBytes() && unforced.isEmpty()) {
                int finished = storage.segment();
                storage.roll();
                segments.hold(finished);
                committed = storage.offset();
                segmentRolls++; // only this thread writes it; the pools see it at their next tick
                deleteRetiredSegments();
            }
            List<Pending> written = write();
            List<Pending> durable;
            if (settings.fsync() == FsyncPolicy.BATCH) {
                // Acknowledged only after the force; a failure before it writes them again.
                unforced.addAll(written);
                storage.force();
                lastForceEnd = System.nanoTime();
                metrics.logForced();
                storage.checkIntact();
                durable = new ArrayList<>(unforced);
                unforced.clear();
            } else {
                // INTERVAL and OFF: acknowledged once written (a process crash keeps the page cache).
                forceOwed |= !written.isEmpty() && settings.fsync() == FsyncPolicy.INTERVAL;
                boolean closes = written.stream().anyMatch(p -> p.record.type() == WalRecord.Type.SESSION_CLOSE);
                if (forceOwed && (now - lastIntervalForce >= intervalNanos() || closing || closes)) {
                    storage.force();
                    metrics.logForced();
                    lastIntervalForce = now;
                    forceOwed = false;
                }
                storage.checkIntact();
                durable = written;
            }
            committed = storage.offset();
            if (failing) {
                failing = false;
                backoffMs = 0;
                LOG.warn("write-ahead log {} writable again", segments.path(storage.segment()));
                for (SessionState s : sessions.values()) {
                    notify(s, l -> l.writeRecovered());
                }
            }
            acknowledge(durable);
        } catch (IOException | RuntimeException e) {
            failed(e, now);
        }
    }

    /** Encodes and writes every unwritten record at the end of the current segment; returns them in order. */
    private List<Pending> write() throws IOException {
        List<Pending> out = new ArrayList<>(unwritten.size());
        buffer.clear();
        int segment = storage.segment();
        long base = storage.offset();
        try {
            for (Pending p : unwritten) {
                if (buffer.remaining() < p.bytes) {
                    if (buffer.position() > 0) {
                        buffer.flip();
                        storage.write(buffer);
                        buffer.clear();
                        base = storage.offset();
                    }
                    if (buffer.capacity() < p.bytes) {
                        buffer = ByteBuffer.allocateDirect(p.bytes);
                    }
                }
                p.position = WalFormat.position(segment, base + buffer.position());
                WalFormat.encode(p.record, buffer);
                out.add(p);
            }
            buffer.flip();
            storage.write(buffer);
        } catch (IOException | RuntimeException e) {
            throw e; // nothing moved yet: the caller keeps them unwritten and cuts the file back
        }
        unwritten.clear();
        return out;
    }

    private static void runDurableCallback(String pool, Runnable onDurable) {
        try {
            onDurable.run();
        } catch (RuntimeException e) {
            LOG.error("pool {}: the callback after a durable fact failed", pool, e);
        }
    }

    private void acknowledge(List<Pending> durable) {
        if (durable.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        long bytes = 0;
        boolean snapshotDurable = false;
        for (Pending p : durable) {
            bytes += p.bytes;
            int segment = WalFormat.segmentOf(p.position);
            SegmentUse use = uses.computeIfAbsent(segment, k -> new SegmentUse());
            SessionState s = p.session;
            if (s == null) {
                String pool = p.record.key();
                if (p.onDurable != null) {
                    runDurableCallback(pool, p.onDurable);
                }
                use.pools.put(pool, p.position);
                if (WalRecovery.CLOSED_TAG.equals(p.record.tag())) { // none of the pool's records is needed now
                    WalRecovery.closedAt(poolSnapshots, pool, p.position);
                    snapshotDurable = true;
                } else if (p.record.type() == WalRecord.Type.POOL_SNAPSHOT) {
                    long start = snapshotStart(pool, p);
                    if (start >= 0) {
                        WalRecovery.snapshotAt(poolSnapshots, pool, start);
                        snapshotDurable = true;
                    }
                }
                continue;
            }
            use.sessions.add(s.id);
            switch (p.record.type()) {
                case EVENT -> {
                    s.index.add(p.record.seq(), p.position);
                    s.ackedSeqCandidate = Math.max(s.ackedSeqCandidate, p.record.seq());
                    metrics.logDurable(now - p.appendedAt);
                    touched.add(s);
                }
                case SEQ_RESERVE -> {
                    s.reserved = p.record.seq(); // the last one counts: a clean stop gives the rest back
                    s.reservationChanged = true;
                    touched.add(s);
                }
                case SESSION_CLOSE -> {
                    s.closeBody = p.record.body();
                    scheduleExport(s, 0);
                }
                case SESSION_EXPORTED -> {
                    sessions.remove(s.id, s);
                    s.index.release();
                    deleteRetiredSegments();
                }
                default -> {
                    // SESSION_OPEN, ROOM_FACT: durable, nobody waits for them
                }
            }
        }
        for (SessionState s : touched) {
            if (s.reservationChanged) { // before the acks: the room shows an event before it acknowledges it
                s.reservationChanged = false;
                long reserved = s.reserved;
                notify(s, l -> l.seqsReserved(reserved));
            }
            if (s.ackedSeqCandidate > s.ackedSeq) {
                s.ackedSeq = s.ackedSeqCandidate;
                long seq = s.ackedSeq;
                notify(s, l -> l.durableUpTo(seq));
            }
        }
        touched.clear();
        if (snapshotDurable) {
            deleteRetiredSegments();
        }
        backlog.addAndGet(-bytes);
        Pending last = durable.get(durable.size() - 1);
        lastRecord = last.position;
        lastRecordEnd = last.position + last.bytes;
        sinceCheckpoint += bytes;
        maybeCheckpoint();
    }

    /**
     * The position a durable snapshot record completes a snapshot at (its own, or its first chunk's for the last
     * chunk of a chunked one), or -1 while a chunked one is still underway (writer thread).
     */
    private long snapshotStart(String pool, Pending p) {
        WalRecovery.Chunk chunk = WalRecovery.Chunk.of(p.record.tag());
        if (chunk == null) {
            return p.position;
        }
        if (chunk.index() == 0) {
            chunkedUnderway.put(pool, p.position);
        }
        if (chunk.index() < chunk.count() - 1) {
            return -1;
        }
        Long start = chunkedUnderway.remove(pool);
        return start == null ? -1 : start;
    }

    /**
     * Hands a checkpoint of the log up to the last durable record to the checkpoint thread once
     * {@link Settings#checkpointBytes} were written after the last one (one at a time; writer thread).
     */
    private void maybeCheckpoint() {
        if (sinceCheckpoint < settings.checkpointBytes() || lastRecordEnd == 0 || closing
                || !chunkedUnderway.isEmpty() || !checkpointing.compareAndSet(false, true)) {
            return;
        }
        long last = lastRecord;
        long end = lastRecordEnd;
        sinceCheckpoint = 0;
        try {
            checkpointer.execute(() -> {
                try {
                    writeCheckpoint(last, end);
                } finally {
                    checkpointing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            checkpointing.set(false);
        }
    }

    /**
     * Writes the checkpoint covering the log up to {@code end} (the end of the record at {@code last}): the last
     * checkpoint's fold, plus the records after it folded by the same code a start runs, so a start from it is
     * the start from the whole log. Nothing is written when the log up to {@code end} cannot be read whole (the
     * next start then scans it and reports what is wrong). Blocking file I/O: the checkpoint thread, or
     * {@link #close()} once the writer has stopped. Returns whether a checkpoint now covers {@code end}.
     */
    boolean writeCheckpoint(long last, long end) {
        long started = System.nanoTime();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStarted = cpu.getCurrentThreadCpuTime();
        try {
            StringBuilder why = new StringBuilder();
            WalCheckpoint.Loaded previous = WalCheckpoint.load(segments, why);
            if (previous != null && previous.covered() >= end) {
                return previous.covered() == end;
            }
            WalRecovery fold = previous != null ? previous.fold() : new WalRecovery();
            long from = previous != null ? previous.covered() : 0;
            WalSegments.ScanResult scan = segments.scan(fold, false, from, end, null);
            if (fold.coveredTo != end || fold.lastPosition != last) {
                LOG.warn("write-ahead log: no checkpoint at segment {} offset {}: the log up to there could not be "
                        + "read whole {}", WalFormat.segmentOf(end), WalFormat.offsetOf(end), scan.problems());
                return false;
            }
            fold.problems.addAll(scan.problems());
            WalCheckpoint.write(segments, fold, last, end);
            LOG.info("write-ahead log: checkpoint at segment {} offset {} ({} records, {} sessions; {}) in {} ms, "
                            + "{} ms of CPU", WalFormat.segmentOf(end), WalFormat.offsetOf(end), fold.records,
                    fold.sessions.size(), previous == null ? "the log folded from its start"
                            : "went on from the previous one", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                    TimeUnit.NANOSECONDS.toMillis(cpu.getCurrentThreadCpuTime() - cpuStarted));
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("write-ahead log: checkpoint at segment {} offset {} not written ({}); a start scans more of "
                    + "the log", WalFormat.segmentOf(end), WalFormat.offsetOf(end), e.toString());
            return false;
        }
    }

    /** Log bytes from position {@code from} (0: the start) to {@code to}, over the segments on disk. */
    private long logBytes(List<Integer> onDisk, long from, long to) {
        if (to <= from) {
            return 0;
        }
        int fromSegment = from == 0 ? 0 : WalFormat.segmentOf(from);
        int toSegment = WalFormat.segmentOf(to);
        long total = 0;
        for (int segment : onDisk) {
            if (segment < fromSegment || segment > toSegment) {
                continue;
            }
            long start = segment == fromSegment && from != 0 ? WalFormat.offsetOf(from) : WalFormat.HEADER;
            long stop;
            try {
                stop = segment == toSegment ? WalFormat.offsetOf(to) : java.nio.file.Files.size(segments.path(segment));
            } catch (IOException e) {
                stop = start;
            }
            total += Math.max(0, stop - start);
        }
        return total;
    }

    private void failed(Exception e, long now) {
        metrics.logWriteFailed();
        // Written but not forced is not durable: written again after the segment is cut back to what is.
        while (!unforced.isEmpty()) {
            unwritten.addFirst(unforced.removeLast());
        }
        backoffMs = failing ? Math.min(backoffMs * 2, settings.retryMaxMs()) : settings.retryMinMs();
        retryAt = now + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        if (!failing) {
            failing = true;
            LOG.error("write-ahead log {}: writing failed ({}); {} records kept in memory, nothing acknowledged "
                            + "until they are durable, retrying", segments.path(storage.segment()), e.toString(),
                    unwritten.size());
            for (SessionState s : sessions.values()) {
                notify(s, l -> l.writeFailed(e));
            }
        } else {
            LOG.debug("write-ahead log still failing, next try in {} ms", backoffMs, e);
        }
    }

    /**
     * Retention: a segment before the current one is deleted once every session with records in it is exported
     * and every pool record in it is superseded: it comes before the pool's second-to-last durable snapshot (so
     * that an unreadable last snapshot still leaves the one before it and every fact since on disk).
     */
    private void deleteRetiredSegments() {
        Iterator<Map.Entry<Integer, SegmentUse>> it = uses.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Integer, SegmentUse> e = it.next();
            int segment = e.getKey();
            SegmentUse use = e.getValue();
            if (segment >= storage.segment()) {
                continue;
            }
            use.pools.entrySet().removeIf(p -> WalRecovery.superseded(poolSnapshots, p.getKey(), p.getValue()));
            if (!use.pools.isEmpty()) {
                continue;
            }
            use.sessions.removeIf(id -> !sessions.containsKey(id));
            if (use.sessions.isEmpty()) {
                try {
                    segments.release(segment);
                    java.nio.file.Files.deleteIfExists(segments.path(segment));
                    it.remove();
                    LOG.info("write-ahead log: deleted {} (every session in it is exported, every pool fact in it "
                                    + "is in a later snapshot)",
                            segments.path(segment).getFileName());
                } catch (IOException ex) {
                    LOG.warn("write-ahead log: could not delete {}: {}", segments.path(segment), ex.toString());
                }
            }
        }
    }

    /**
     * An earlier segment deleted or replaced while the server runs: the server log says which and whether it was
     * written anew from the descriptor still open on it; the metric counts it; the open sessions with records in it
     * tell their moderators (the log's notice, then the recovery notice once it is restored).
     */
    private void watchEarlierSegments() {
        for (WalSegments.Lost lost : segments.checkHeld()) {
            metrics.logSegmentLost();
            boolean restored = lost.restored();
            LOG.error("write-ahead log: {}", lost.what());
            SegmentUse use = uses.get(lost.segment());
            if (use == null) {
                continue;
            }
            IOException cause = new IOException("log " + lost.what());
            for (String id : use.sessions) {
                SessionState s = sessions.get(id);
                if (s != null && s.closeBody == null) {
                    notify(s, l -> l.writeFailed(cause));
                    if (restored && !failing) {
                        notify(s, l -> l.writeRecovered());
                    }
                }
            }
        }
    }

    private static void notify(SessionState s, Consumer<DurabilityListener> call) {
        DurabilityListener l = s.listener;
        if (l == null) {
            return;
        }
        try {
            call.accept(l);
        } catch (RuntimeException e) {
            LOG.error("session {}: durability listener failed", s.id, e);
        }
    }

    private long intervalNanos() {
        return TimeUnit.MILLISECONDS.toNanos(settings.fsyncIntervalMs());
    }

    // ------------------------------------------------------------------ state

    /** One record on its way to the disk. {@code position}: writer thread. */
    private static final class Pending {
        final WalRecord record;
        final SessionState session;
        final long appendedAt;
        final int bytes;
        /** A pool fact's durability callback, or null. */
        final Runnable onDurable;
        long position;

        Pending(WalRecord record, SessionState session, long appendedAt, Runnable onDurable) {
            this.record = record;
            this.session = session;
            this.appendedAt = appendedAt;
            this.bytes = record.frameBytes();
            this.onDurable = onDurable;
        }
    }

    /** A pool fact in its lane, with what runs once it is durable (or null). */
    private record DurablePoolRecord(WalRecord record, Runnable onDurable) {
    }

    /** A session as the log sees it. */
    static final class SessionState {
        final String id;
        final SeqIndex index;
        /** Set at open or by {@code resume} (room thread), read by the writer. */
        volatile DurabilityListener listener;
        /** Latest metadata, for the live session list: room thread writes, readers read. */
        volatile SessionMeta meta;
        /** The final metadata once the close is durable (or was found in the log): writer/reader threads. */
        volatile byte[] closeBody;
        /** The last durable seq reservation: written by the writer, read by the room thread. */
        volatile long reserved;
        /** The seq up to which a clean stop gave the reservation back; MAX_VALUE until then. */
        volatile long releasedAt = Long.MAX_VALUE;
        /** The last seq appended (room thread writes; a clean stop reads it once rooms are suspended). */
        volatile long lastAppended;
        /** The room's handle while it is open, for the release at a clean stop. */
        volatile Handle handle;
        /** Writer thread only. */
        long ackedSeq;
        long ackedSeqCandidate;
        boolean reservationChanged;

        SessionState(String id, DurabilityListener listener, SeqIndex index) {
            this.id = id;
            this.listener = listener;
            this.index = index;
        }
    }

    /**
     * One pool's order of records while a snapshot of it is encoded: {@code held} are its facts (encoded records)
     * and snapshots still to be queued, in the order the pool recorded them; {@code busy} while the
     * {@code wal-snapshot} thread drains them. Guarded by the lane's monitor.
     */
    private static final class PoolLane {
        final ArrayDeque<Object> held = new ArrayDeque<>();
        boolean busy;
    }

    /** What one segment holds, for retention. Writer thread (and the constructor's scan). */
    static final class SegmentUse {
        final Set<String> sessions = new LinkedHashSet<>();
        /** Pools with records here, each with the position of its last one here; dropped once superseded. */
        final Map<String, Long> pools = new LinkedHashMap<>();
    }
}
