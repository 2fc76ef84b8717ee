package dev.improv.server.cluster;

import dev.improv.server.eventlog.SessionRecords;
import dev.improv.server.eventlog.WalRecord;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rooms' journal in cluster mode: each room session's records (the node log's own {@link WalRecord}s) go to
 * the room's subject of the replicated JetStream stream, in batches — one message holds everything the room queued
 * while its previous batch was in flight (group commit per room; many rooms' batches are in flight at once). Every
 * batch is published with the subject's expected last sequence, so a node that lost the room (another node
 * appended) is refused and stops: fencing. A batch carries a {@code Nats-Msg-Id} kept across its retries, so a
 * retry of a batch stored without its ack is answered as a duplicate. An event is durable (acknowledged to its
 * sender) once JetStream acknowledged its batch. Seqs are reserved ahead of use as in the node's log, so a node
 * that takes a room over continues above the last reservation and never reuses a seq a member may have seen.
 *
 * <p>Threads: rooms call in on their owner threads and never wait; one thread, {@code cluster-log}, builds and
 * sends batches and handles their answers; reading back runs on {@code cluster-read}.
 */
public final class StreamJournal implements SessionJournal {
    private static final Logger LOG = LoggerFactory.getLogger(StreamJournal.class);
    /** Seqs reserved per reservation record, and how few left before the next is asked for. */
    static final long RESERVE_BLOCK = 256;
    static final long RESERVE_LOW_WATER = 128;
    static final long RETRY_FIRST_MS = 100;
    static final long RETRY_MAX_MS = 2_000;

    private final ClusterNode node;
    private final long backlogLimit;
    private final ClusterMetrics metrics;
    private final ScheduledExecutorService writer;
    private final ExecutorService reader;
    /** Bytes queued and not yet acknowledged by JetStream, all rooms. */
    private final AtomicLong backlog = new AtomicLong();
    /** Sessions taken over from another node, waiting for their room to call {@link #resume}. */
    private final Map<String, Log> adopted = new ConcurrentHashMap<>();
    /** Every session with records not yet durable or a batch in flight. */
    private final Map<String, Log> open = new ConcurrentHashMap<>();
    /** The open sessions by room id, for lease news. */
    private final Map<String, Log> byRoom = new ConcurrentHashMap<>();
    private final long leaseNanos;

    StreamJournal(ClusterNode node, long backlogLimit, ClusterMetrics metrics) {
        this.node = node;
        this.backlogLimit = backlogLimit;
        this.metrics = metrics;
        this.leaseNanos = TimeUnit.MILLISECONDS.toNanos(node.settings().leaseMs());
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "cluster-log"));
        this.reader = Executors.newSingleThreadExecutor(r -> daemon(r, "cluster-read"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    static String subject(String roomId) {
        return ClusterNode.ROOM_SUBJECTS + roomId;
    }

    @Override
    public JournalSession open(SessionMeta meta, DurabilityListener listener) {
        throw new UnsupportedOperationException("the cluster's journal opens sessions with their room limits");
    }

    @Override
    public JournalSession open(SessionMeta meta, RoomLimits limits, DurabilityListener listener) {
        Log log = new Log(meta.roomId(), meta.sessionId(), listener, 0, 0, 0);
        log.leaseUntil = System.nanoTime() + leaseNanos; // a fresh room id: its lease is being created
        open.put(meta.sessionId(), log);
        byRoom.put(meta.roomId(), log);
        RoomLeases leases = node.leases();
        if (leases != null) {
            leases.claim(meta.roomId());
        }
        log.queue(SessionRecords.opened(meta, limits));
        Handle handle = new Handle(log);
        handle.reserve(RESERVE_BLOCK); // durable before members see the first event, as a rule
        return handle;
    }

    /**
     * A session taken over from another node: its log goes on after stream sequence {@code lastSubjectSeq} (this
     * node's fence record), its seqs are reserved up to {@code reserved} and durable up to {@code lastSeq}.
     */
    void adopt(String roomId, String sessionId, long lastSubjectSeq, long lastSeq, long reserved, long leaseUntil) {
        Log log = new Log(roomId, sessionId, null, lastSubjectSeq, lastSeq, reserved);
        log.leaseUntil = leaseUntil;
        adopted.put(sessionId, log);
    }

    /**
     * This node's lease of {@code roomId} holds until {@code untilNanos} (System.nanoTime()): until then no other
     * node can have taken the room, so members may see events before they are durable. Lease thread.
     */
    void leaseConfirmed(String roomId, long untilNanos) {
        Log log = byRoom.get(roomId);
        if (log == null) {
            return;
        }
        boolean wasStale = System.nanoTime() - log.leaseUntil > 0;
        log.leaseUntil = untilNanos;
        DurabilityListener l = log.listener;
        if (wasStale && l != null) {
            l.seqsReserved(log.reserved); // events held while the lease was in doubt may go out now
        }
    }

    @Override
    public JournalSession resume(String roomId, String sessionId, DurabilityListener listener) {
        Log log = adopted.remove(sessionId);
        if (log == null) {
            throw new IllegalStateException("session " + sessionId + " was not taken over by this node");
        }
        log.listener = listener;
        open.put(sessionId, log);
        byRoom.put(roomId, log);
        return new Handle(log);
    }

    /** This node no longer owns {@code roomId}: its log stops (queued records are dropped, never acknowledged). */
    void dropped(String roomId) {
        Log log = byRoom.get(roomId);
        if (log != null) {
            try {
                writer.execute(log::dropped);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    /** Bytes not yet acknowledged by JetStream (for /metrics). */
    long backlogBytes() {
        return backlog.get();
    }

    /** Waits up to {@code graceMs} for every queued record to be acknowledged (shutdown). */
    void flush(long graceMs) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        while (backlog.get() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (backlog.get() > 0) {
            LOG.warn("cluster: {} bytes of room logs not acknowledged at shutdown", backlog.get());
        }
    }

    void close() {
        writer.shutdownNow();
        reader.shutdownNow();
    }

    /** Takes the next batch from {@code queued}: at least one record, at most {@link ClusterNode#MAX_BATCH_BYTES}. */
    static List<WalRecord> nextBatch(java.util.Queue<WalRecord> queued) {
        List<WalRecord> batch = new ArrayList<>();
        int bytes = 0;
        for (WalRecord r = queued.peek(); r != null; r = queued.peek()) {
            int size = SessionRecords.frameBytes(r);
            if (!batch.isEmpty() && bytes + size > ClusterNode.MAX_BATCH_BYTES) {
                break;
            }
            queued.poll();
            batch.add(r);
            bytes += size;
        }
        return batch;
    }

    /** The JetStream refusal in {@code error}'s causes (publishAsync wraps it), or null. */
    static JetStreamApiException apiError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof JetStreamApiException api) {
                return api;
            }
        }
        return null;
    }

    /**
     * The stream sequence of the message {@code msgId} when it is the subject's last one (a batch stored whose ack
     * was lost: its retry was refused as "wrong last sequence"), else null (another writer's message is last, or
     * none is). Fails when JetStream does not say: the caller must not take that for a fence and retries (a
     * timeout here right after NATS came back made a node drop a room it owned, 2026-12-04).
     */
    static Long storedEarlier(ClusterNode node, String stream, String subject, String msgId)
            throws java.io.IOException {
        try {
            MessageInfo last = node.jsm().getLastMessage(stream, subject);
            String id = last.getHeaders() == null ? null : last.getHeaders().getFirst("Nats-Msg-Id");
            return msgId.equals(id) ? last.getSeq() : null;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return null;
            }
            throw new java.io.IOException("the subject's last message could not be read: " + e.getMessage(), e);
        }
    }

    /** JetStream's "no message found". */
    private static final int NO_MESSAGE_FOUND = 10037;

    /** One room session's log. Queue: room thread in, writer thread out; the rest is the writer thread's. */
    private final class Log {
        final String roomId;
        final String sessionId;
        final String subject;
        volatile DurabilityListener listener;
        final ConcurrentLinkedQueue<WalRecord> queued = new ConcurrentLinkedQueue<>();
        final AtomicBoolean flushScheduled = new AtomicBoolean();
        /** Durable seq reservation: what members may see. Written by the writer thread, read by the room's. */
        volatile long reserved;
        /** The last durable event's seq, for the room's thread. */
        volatile long durableVisible;
        /** System.nanoTime() until which this node's lease surely holds (lease thread writes, room reads). */
        volatile long leaseUntil;
        // ---- writer thread only ----
        long lastSubjectSeq;
        long durableSeq;
        List<WalRecord> inFlight;
        byte[] inFlightBody;
        String inFlightId;
        int inFlightBytes;
        long retryMs;
        boolean failing;
        volatile boolean fenced;
        boolean closing;

        Log(String roomId, String sessionId, DurabilityListener listener, long lastSubjectSeq, long durableSeq,
            long reserved) {
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.subject = subject(roomId);
            this.listener = listener;
            this.lastSubjectSeq = lastSubjectSeq;
            this.durableSeq = durableSeq;
            this.durableVisible = durableSeq;
            this.reserved = reserved;
        }

        /** Room thread. */
        void queue(WalRecord r) {
            if (fenced) {
                return; // another node owns the room; nothing of this node's is written any more
            }
            backlog.addAndGet(SessionRecords.frameBytes(r));
            queued.offer(r);
            if (flushScheduled.compareAndSet(false, true)) {
                try {
                    writer.execute(this::flush);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    LOG.error("cluster: room {} log closed, {} not written", roomId, r.type());
                }
            }
        }

        /** Writer thread: sends what is queued as one batch unless one is in flight. */
        void flush() {
            flushScheduled.set(false);
            if (inFlight != null || fenced) {
                return;
            }
            List<WalRecord> batch = nextBatch(queued);
            if (batch.isEmpty()) {
                return;
            }
            inFlight = batch;
            inFlightBody = SessionRecords.frames(batch);
            inFlightId = sessionId + "-" + UUID.randomUUID();
            int bytes = 0;
            for (WalRecord r : batch) {
                bytes += SessionRecords.frameBytes(r);
            }
            inFlightBytes = bytes;
            send();
        }

        void send() {
            if (fenced || inFlight == null) {
                return;
            }
            PublishOptions options = PublishOptions.builder().expectedLastSubjectSequence(lastSubjectSeq)
                    .messageId(inFlightId).build();
            long start = System.nanoTime();
            try {
                node.js().publishAsync(subject, inFlightBody, options).whenComplete((ack, error) -> {
                    metrics.appendAnswered(System.nanoTime() - start, error == null);
                    writer.execute(() -> answered(ack, error));
                });
            } catch (RuntimeException e) { // the connection is closed or its buffer full: retried like a timeout
                writer.execute(() -> answered(null, e));
            }
        }

        /** Writer thread: JetStream's answer to the batch in flight. */
        void answered(PublishAck ack, Throwable error) {
            if (inFlight == null) {
                return; // the room was dropped meanwhile
            }
            if (error instanceof CompletionException && error.getCause() != null) {
                error = error.getCause();
            }
            if (error == null) {
                stored(ack.getSeqno());
                return;
            }
            JetStreamApiException api = apiError(error);
            if (api != null && api.getApiErrorCode() == 10071) {
                try {
                    Long ours = storedEarlier();
                    if (ours != null) {
                        stored(ours); // an earlier attempt was stored, its ack lost: not a fence
                        return;
                    }
                    fence();
                    return;
                } catch (java.io.IOException e) { // a lost ack or a fence: not known yet, so retried as a failure
                    error = e;
                }
            }
            if (!failing) {
                failing = true;
                LOG.warn("cluster: room {} log append failed, retrying: {}", roomId, error.toString());
                DurabilityListener l = listener;
                if (l != null) {
                    l.writeFailed(error instanceof Exception e ? e : new Exception(error));
                }
            }
            retryMs = retryMs == 0 ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, retryMs * 2);
            writer.schedule(this::send, retryMs, TimeUnit.MILLISECONDS);
        }

        Long storedEarlier() throws java.io.IOException {
            return StreamJournal.storedEarlier(node, ClusterNode.STREAM, subject, inFlightId);
        }

        void stored(long streamSeq) {
            lastSubjectSeq = streamSeq;
            retryMs = 0;
            long newReserved = reserved;
            long newDurable = durableSeq;
            boolean closedNow = false;
            for (WalRecord r : inFlight) {
                switch (r.type()) {
                    case EVENT -> newDurable = Math.max(newDurable, r.seq());
                    case SEQ_RESERVE -> newReserved = Math.max(newReserved, r.seq());
                    case SESSION_CLOSE -> closedNow = true;
                    default -> {
                    }
                }
            }
            backlog.addAndGet(-inFlightBytes);
            inFlight = null;
            inFlightBody = null;
            DurabilityListener l = listener;
            if (failing) {
                failing = false;
                if (l != null) {
                    l.writeRecovered();
                }
            }
            if (newReserved > reserved) {
                reserved = newReserved;
                if (l != null) {
                    l.seqsReserved(newReserved);
                }
            }
            if (newDurable > durableSeq) {
                durableSeq = newDurable;
                durableVisible = newDurable;
                if (l != null) {
                    l.durableUpTo(newDurable);
                }
            }
            if (closedNow) {
                open.remove(sessionId);
                byRoom.remove(roomId, this);
                // the lease goes only once the session is in files: a node lost before that leaves it to the
                // node that takes the lease, which finds the session closed and exports it
                node.sessionExport().export(roomId, () -> {
                    RoomLeases leases = node.leases();
                    if (leases != null) {
                        leases.release(roomId);
                    }
                });
                return;
            }
            flush();
        }

        void fence() {
            if (fenced && inFlight == null) {
                return;
            }
            fenced = true;
            LOG.warn("cluster: room {} session {}: another node appended to its log; this node stops writing it",
                    roomId, sessionId);
            backlog.addAndGet(-inFlightBytes);
            inFlight = null;
            for (WalRecord r = queued.poll(); r != null; r = queued.poll()) {
                backlog.addAndGet(-SessionRecords.frameBytes(r));
            }
            open.remove(sessionId);
            byRoom.remove(roomId, this);
            node.fenced(roomId);
        }

        /** Writer thread: the room went to another node (its lease); nothing more is written or retried. */
        void dropped() {
            if (!fenced) {
                fenced = true;
                if (inFlight != null) {
                    backlog.addAndGet(-inFlightBytes);
                    inFlight = null;
                }
                for (WalRecord r = queued.poll(); r != null; r = queued.poll()) {
                    backlog.addAndGet(-SessionRecords.frameBytes(r));
                }
                open.remove(sessionId);
                byRoom.remove(roomId, this);
            }
        }
    }

    /** What a room holds; called on the room's owner thread. */
    private final class Handle implements JournalSession {
        private final Log log;
        /** Highest seq asked for (room thread). */
        private long requested;
        private boolean closed;

        Handle(Log log) {
            this.log = log;
            this.requested = log.reserved;
        }

        void reserve(long upTo) {
            requested = upTo;
            log.queue(SessionRecords.reserve(log.sessionId, upTo));
        }

        @Override
        public void append(long seq, byte[] eventJson) {
            append(seq, eventJson, null, null);
        }

        @Override
        public void append(long seq, byte[] eventJson, String originPid, String cid) {
            if (closed) {
                return;
            }
            if (seq + RESERVE_LOW_WATER > requested) {
                reserve(seq + RESERVE_BLOCK); // queued before the event: an event is never durable before its seq
            }
            log.queue(SessionRecords.event(log.sessionId, seq, eventJson, originPid, cid));
        }

        @Override
        public void fact(String kind, String participantId) {
            if (!closed) {
                log.queue(SessionRecords.fact(log.sessionId, kind, participantId));
            }
        }

        @Override
        public boolean backlogged() {
            return backlog.get() > backlogLimit;
        }

        /**
         * The durable reservation while this node's lease surely holds; else only what is durable — a node paused
         * past its lease (SIGSTOP) shows its members nothing another owner might number differently.
         */
        @Override
        public long reservedUpTo() {
            long reserved = log.reserved;
            return System.nanoTime() - log.leaseUntil < 0 ? reserved : Math.min(reserved, log.durableVisible);
        }

        @Override
        public void updateMeta(SessionMeta meta) {
            // rebuilt from the events when the room is taken over
        }

        @Override
        public void close(SessionMeta finalMeta) {
            if (closed) {
                return;
            }
            closed = true;
            log.queue(SessionRecords.closed(finalMeta));
        }

        @Override
        public void readBack(long fromSeq, long toSeqExclusive, Consumer<List<byte[]>> done,
                             Consumer<Exception> failed) {
            try {
                reader.execute(() -> {
                    try {
                        done.accept(RoomStream.readPatiently(node, log.roomId).events(log.sessionId, fromSeq,
                                toSeqExclusive));
                    } catch (Exception e) {
                        failed.accept(e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                failed.accept(e);
            }
        }
    }
}
