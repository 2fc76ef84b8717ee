package dev.improv.server.cluster;

import dev.improv.server.eventlog.SessionRecords;
import dev.improv.server.eventlog.WalRecord;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.RoomListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.api.PublishAck;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lobby pools in cluster mode: each pool's facts (the node log's own {@link WalRecord}s, {@code POOL_FACT} and
 * {@code POOL_SNAPSHOT} with the same JSON bodies) go to the pool's subject {@code improv.pool.<id>} of the
 * replicated stream {@value #STREAM}, and the pool is owned through a lease in the rooms' bucket under the key
 * {@code pool.<id>} ({@link RoomLeases} keeps both kinds). Appends are batched per pool (one batch in flight),
 * published with the subject's expected last sequence (a node that lost the pool is refused: fencing) and a
 * {@code Nats-Msg-Id} kept across retries. When a pool's owner is gone, the node that takes its lease reads the
 * subject back from its last snapshot, fences it, and rebuilds the pool with {@link LobbyRegistry#restore}: the
 * queue in its order with its arrival times, offers, matched rooms, partner history and time accounting, as a
 * restart of one node rebuilds them from its log. Facts are written as on one node — nobody waits for them; a
 * fact not yet stored by JetStream when its node dies is lost, as one not yet fsynced is on one node.
 *
 * <p>Snapshots: every {@code --cluster-pool-snapshot-facts} facts stored (500 by default, all pools) each pool that wrote facts since its last
 * snapshot writes one at its next tick; once one is stored, the subject's messages before it are purged. A
 * snapshot larger than a batch may be is not written (logged); the pool's facts then stay.
 *
 * <p>Threads: {@link #record} runs on the pools' thread (and an opening's caller); one thread, {@code
 * cluster-pools}, sends batches and handles answers; {@link #restore} and {@link #dropped} run on the lease thread.
 */
public final class PoolStream implements LobbyJournal {
    private static final Logger LOG = LoggerFactory.getLogger(PoolStream.class);
    /** The stream holding every pool's log, one subject per pool. */
    static final String STREAM = "IMPROV_POOLS";
    static final String SUBJECTS = "improv.pool.";
    /** Lease keys of pools in the lease bucket (room ids never hold a dot). */
    static final String LEASE_PREFIX = "pool.";
    private static final int WRONG_LAST_SEQUENCE = 10071;
    private static final int FENCE_ATTEMPTS = 5;

    private final ClusterNode node;
    private final ScheduledExecutorService writer;
    /** The pools this node writes, by id. */
    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    /** Facts stored by JetStream since the node joined, all pools. */
    private final AtomicLong stored = new AtomicLong();
    /** This node's pools; set once when the lobby is built (takeovers wait for it). */
    private volatile LobbyRegistry lobbies;

    PoolStream(ClusterNode node) {
        this.node = node;
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-pools");
            t.setDaemon(true);
            return t;
        });
    }

    static String subject(String pool) {
        return SUBJECTS + pool;
    }

    static String leaseKey(String pool) {
        return LEASE_PREFIX + pool;
    }

    static boolean isPoolKey(String leaseKey) {
        return leaseKey.startsWith(LEASE_PREFIX);
    }

    static String poolOf(String leaseKey) {
        return leaseKey.substring(LEASE_PREFIX.length());
    }

    /** The pools of this node: from now on pools can be taken over here. Before the port opens. */
    void start(LobbyRegistry registry) {
        long every = node.settings().poolSnapshotFacts();
        registry.snapshotWhen(() -> stored.get() / every);
        this.lobbies = registry;
    }

    /** Whether {@code pool} is written by this node (it owns it). Any thread. */
    boolean owns(String pool) {
        return logs.containsKey(pool);
    }

    @Override
    public void record(String pool, LobbyFact fact) {
        record(pool, fact, null);
    }

    /**
     * {@link #record(String, LobbyFact)}; {@code onDurable} runs on the writer thread once JetStream stored the
     * fact's batch (in the pool's order, so every earlier fact of the pool is stored too). While JetStream cannot
     * store it, it waits, retried as every append is; a fact this node does not write (it lost the pool, or was
     * fenced) never runs it.
     */
    @Override
    public void record(String pool, LobbyFact fact, Runnable onDurable) {
        Log log;
        if (fact instanceof LobbyFact.PoolOpened) {
            log = new Log(pool, 0);
            if (logs.putIfAbsent(pool, log) != null) {
                LOG.error("cluster: pool {} opened twice on node {}; the second opening is not written", pool,
                        node.name());
                return;
            }
            RoomLeases leases = node.leases();
            if (leases != null) {
                leases.claim(leaseKey(pool)); // fails (and the pool is dropped) if another node has it
            }
        } else {
            log = logs.get(pool);
            if (log == null) {
                LOG.debug("cluster: fact of pool {} not written: this node does not own the pool", pool);
                return;
            }
        }
        WalRecord r;
        try {
            r = WalRecord.of(fact instanceof PoolSnapshot ? WalRecord.Type.POOL_SNAPSHOT : WalRecord.Type.POOL_FACT,
                    pool, ProtocolCodec.mapper().writeValueAsBytes(fact));
        } catch (IOException e) {
            LOG.error("cluster: fact of pool {} not encoded: {}", pool, e.toString());
            return;
        }
        if (fact instanceof PoolSnapshot && r.frameBytes() > ClusterNode.MAX_BATCH_BYTES) {
            LOG.warn("cluster: pool {}: snapshot of {} bytes is over the batch limit, not written (its facts stay)",
                    pool, r.body().length);
            return;
        }
        if (fact instanceof LobbyFact.PoolClosed) { // once stored, the pool is over: its log and lease go
            Runnable answer = onDurable;
            Log closing = log;
            onDurable = () -> {
                if (answer != null) {
                    answer.run();
                }
                closed(closing);
            };
        }
        log.queue(r, onDurable);
    }

    /**
     * Writer thread: the pool's {@code pool_closed} is stored. Nothing more is written for it, its subject is purged
     * (a closed pool's facts go, as its segments go on one node once the close is written) and its lease is
     * deleted, so that no node takes the closed pool over (until 2026-12-04 the lease stayed, and a node started
     * after the pool's node stopped rebuilt the closed pool from its log).
     */
    private void closed(Log log) {
        log.fenced = true; // writes nothing more
        logs.remove(log.pool, log);
        try {
            node.jsm().purgeStream(STREAM, PurgeOptions.subject(log.subject));
        } catch (IOException | JetStreamApiException e) {
            LOG.warn("cluster: closed pool {}: its log not purged: {}", log.pool, e.toString());
        }
        RoomLeases leases = node.leases();
        if (leases != null) {
            leases.release(leaseKey(log.pool));
        }
        LOG.info("cluster: pool {} closed: its log purged, its lease handed in", log.pool);
    }

    /**
     * Lease thread, holding the pool's lease: reads the pool's subject back, fences it and rebuilds the pool here.
     * False when there is no pool to rebuild (nothing on the subject, or it does not start with an opening or a
     * snapshot): the caller deletes the lease.
     */
    boolean restore(String pool, Duration patience) throws IOException, JetStreamApiException,
            InterruptedException {
        LobbyRegistry registry = lobbies;
        if (registry == null) {
            throw new IOException("this node's lobby is not built yet");
        }
        for (int attempt = 1; attempt <= FENCE_ATTEMPTS; attempt++) {
            RoomStream.Contents contents = RoomStream.read(node, STREAM, subject(pool), patience);
            List<LobbyFact> facts = facts(pool, contents.records());
            if (facts.isEmpty() || !(facts.get(0) instanceof LobbyFact.PoolOpened
                    || facts.get(0) instanceof PoolSnapshot)) {
                LOG.error("cluster: pool {}: its log holds no opening or snapshot ({} facts); not rebuilt", pool,
                        facts.size());
                return false;
            }
            if (facts.get(facts.size() - 1) instanceof LobbyFact.PoolClosed) { // its node stopped before handing in
                LOG.info("cluster: pool {} was closed; not rebuilt, its lease goes", pool);
                return false;
            }
            PublishAck fence;
            try { // an empty message: no record, only the subject's next sequence, so that the old owner is refused
                fence = node.withTimeout(patience).js().publish(subject(pool), new byte[0], PublishOptions.builder()
                        .expectedLastSubjectSequence(contents.lastSubjectSeq())
                        .messageId(pool + "-owner-" + UUID.randomUUID()).build());
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                    continue; // the old owner appended meanwhile: read again
                }
                throw e;
            }
            Log log = new Log(pool, fence.getSeqno());
            logs.put(pool, log);
            if (registry.restore(facts) == null) {
                logs.remove(pool, log);
                throw new IOException("pool " + pool + " is open on this node already");
            }
            LOG.info("cluster: node {} rebuilt pool {} from {} and {} facts after it", node.name(), pool,
                    facts.get(0) instanceof PoolSnapshot ? "its snapshot" : "its opening", facts.size() - 1);
            return true;
        }
        throw new IOException("pool " + pool + ": its log kept moving while it was fenced");
    }

    /** The pool's facts in log order, from its last readable snapshot on. */
    private static List<LobbyFact> facts(String pool, List<WalRecord> records) {
        List<LobbyFact> out = new ArrayList<>();
        for (WalRecord r : records) {
            if (!pool.equals(r.key()) || (r.type() != WalRecord.Type.POOL_FACT
                    && r.type() != WalRecord.Type.POOL_SNAPSHOT)) {
                continue;
            }
            try {
                LobbyFact fact = ProtocolCodec.mapper().readValue(r.body(), LobbyFact.class);
                if (fact instanceof PoolSnapshot) {
                    out.clear();
                }
                out.add(fact);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cluster: pool {}: unreadable {} skipped ({})", pool, r.type(), e.getMessage());
            }
        }
        return out;
    }

    /**
     * The time listener of a room taken over here whose log has no {@code pool} fact (written before rooms were
     * bound to their pool) when the pool that opened it is on this node too; {@link RoomListener#NONE} otherwise.
     * Rooms bound to their pool get {@link PoolRooms#listenerFor} instead, wherever the pool is.
     */
    RoomListener recoveredRoomListener(String roomId) {
        LobbyRegistry registry = lobbies;
        return registry == null ? RoomListener.NONE : registry.recoveredRoomListener(roomId);
    }

    /** Lease thread: another node owns {@code pool} now; nothing more is written here and the pool goes. */
    void dropped(String pool, String why) {
        Log log = logs.remove(pool);
        if (log != null) {
            log.fenced = true;
        }
        LobbyRegistry registry = lobbies;
        if (registry != null && registry.drop(pool)) {
            LOG.warn("cluster: pool {} dropped by node {}: {}", pool, node.name(), why);
        }
    }

    /** Shutdown, before the leases are handed back: waits up to {@code graceMs} for the queued facts to be stored. */
    void flush(long graceMs) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        while (System.nanoTime() < until && logs.values().stream().anyMatch(l -> !l.fenced
                && (l.busy || !l.queued.isEmpty()))) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void close() {
        writer.shutdownNow();
    }

    /** What runs once a record is stored; the record is compared by identity. */
    private record Waiter(WalRecord record, Runnable onDurable) {
    }

    /** One pool's log. Queue: the pools' thread in, the writer thread out; the rest is the writer thread's. */
    private final class Log {
        final String pool;
        final String subject;
        final ConcurrentLinkedQueue<WalRecord> queued = new ConcurrentLinkedQueue<>();
        /** Callbacks of queued records, in the same order; each offered before its record (never missed). */
        final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
        final AtomicBoolean flushScheduled = new AtomicBoolean();
        volatile boolean fenced;
        // ---- writer thread only ----
        long lastSubjectSeq;
        List<WalRecord> inFlight;
        byte[] inFlightBody;
        String inFlightId;
        long retryMs;
        boolean failing;
        /** Whether a batch is in flight (writer thread writes; a shutdown's flush reads). */
        volatile boolean busy;

        Log(String pool, long lastSubjectSeq) {
            this.pool = pool;
            this.subject = subject(pool);
            this.lastSubjectSeq = lastSubjectSeq;
        }

        void queue(WalRecord r, Runnable onDurable) {
            if (fenced) {
                return;
            }
            if (onDurable != null) {
                waiters.offer(new Waiter(r, onDurable));
            }
            queued.offer(r);
            if (flushScheduled.compareAndSet(false, true)) {
                try {
                    writer.execute(this::flush);
                } catch (RejectedExecutionException e) {
                    LOG.warn("cluster: pool {} log closed, {} not written", pool, r.type());
                }
            }
        }

        void flush() {
            flushScheduled.set(false);
            if (inFlight != null || fenced) {
                return;
            }
            List<WalRecord> batch = StreamJournal.nextBatch(queued);
            if (batch.isEmpty()) {
                return;
            }
            inFlight = batch;
            busy = true;
            inFlightBody = SessionRecords.frames(batch);
            inFlightId = "pool-" + pool + "-" + UUID.randomUUID();
            send();
        }

        void send() {
            if (fenced || inFlight == null) {
                return;
            }
            PublishOptions options = PublishOptions.builder().expectedLastSubjectSequence(lastSubjectSeq)
                    .messageId(inFlightId).build();
            try {
                node.js().publishAsync(subject, inFlightBody, options)
                        .whenComplete((ack, error) -> writer.execute(() -> answered(ack, error)));
            } catch (RuntimeException e) { // the connection is closed or its buffer full: retried like a timeout
                writer.execute(() -> answered(null, e));
            }
        }

        void answered(PublishAck ack, Throwable error) {
            if (inFlight == null || fenced) {
                return;
            }
            if (error instanceof CompletionException && error.getCause() != null) {
                error = error.getCause();
            }
            if (error == null) {
                stored(ack.getSeqno());
                return;
            }
            JetStreamApiException api = StreamJournal.apiError(error);
            if (api != null && api.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                try {
                    Long ours = StreamJournal.storedEarlier(node, STREAM, subject, inFlightId);
                    if (ours != null) {
                        stored(ours); // an earlier attempt was stored, its ack lost: not a fence
                        return;
                    }
                    fence();
                    return;
                } catch (IOException e) { // a lost ack or a fence: not known yet, so retried as a failure
                    error = e;
                }
            }
            if (!failing) {
                failing = true;
                LOG.warn("cluster: pool {} log append failed, retrying: {}", pool, error.toString());
            }
            retryMs = retryMs == 0 ? StreamJournal.RETRY_FIRST_MS : Math.min(StreamJournal.RETRY_MAX_MS,
                    retryMs * 2);
            writer.schedule(this::send, retryMs, TimeUnit.MILLISECONDS);
        }

        /** Another node appended to the pool's log: this node stops writing it and lets the pool go. */
        void fence() {
            fenced = true;
            inFlight = null;
            queued.clear();
            waiters.clear();
            logs.remove(pool, this);
            LOG.warn("cluster: pool {}: another node appended to its log; this node stops writing it", pool);
            RoomLeases leases = node.leases();
            if (leases != null) {
                leases.lost(leaseKey(pool), "its log was appended to by another node");
            }
        }

        void stored(long streamSeq) {
            lastSubjectSeq = streamSeq;
            retryMs = 0;
            if (failing) {
                failing = false;
                LOG.info("cluster: pool {} log appends go on", pool);
            }
            boolean snapshot = false;
            for (WalRecord r : inFlight) {
                snapshot |= r.type() == WalRecord.Type.POOL_SNAPSHOT;
            }
            stored.addAndGet(inFlight.size());
            for (WalRecord r : inFlight) {
                Waiter w = waiters.peek();
                if (w != null && w.record() == r) {
                    waiters.poll();
                    try {
                        w.onDurable().run();
                    } catch (RuntimeException e) {
                        LOG.error("cluster: pool {}: a callback of a stored fact failed", pool, e);
                    }
                }
            }
            inFlight = null;
            busy = false;
            inFlightBody = null;
            if (snapshot) {
                purgeBefore(streamSeq);
            }
            flush();
        }

        /** The subject's messages before the one holding the pool's latest snapshot are no longer needed. */
        void purgeBefore(long streamSeq) {
            try {
                node.jsm().purgeStream(STREAM, PurgeOptions.builder().subject(subject).sequence(streamSeq).build());
            } catch (IOException | JetStreamApiException e) {
                LOG.warn("cluster: pool {}: facts before its snapshot not purged: {}", pool, e.toString());
            }
        }
    }
}
