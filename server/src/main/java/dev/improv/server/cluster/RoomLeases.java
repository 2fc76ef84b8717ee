package dev.improv.server.cluster;

import dev.improv.server.eventlog.SessionRecords;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.room.RecoveredRoom;
import dev.improv.server.room.RoomRegistry;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.PublishOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.PublishAck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Room ownership through leases in the JetStream key-value bucket: key = room id, value = owner node. A room's
 * creator makes its lease ({@code create}: only if absent); the owner renews it every third of the lease time
 * with compare-and-set on the revision; a lease whose revision has not changed for the lease time (seen on this
 * node's monotonic clock, so no clocks are compared) or that was handed back is taken over by compare-and-set —
 * one node wins — which then fences the room's log (an "owner" record appended with the expected last subject
 * sequence), folds the log back into the room and continues it. A node that finds its lease taken, or its log
 * appended to by another, drops the room (members are told to reconnect and resume). Lobby pools are owned the same
 * way, under the key {@code pool.<id>} (room ids hold no dot); their logs are {@link PoolStream}'s.
 *
 * <p>Threads: every lease call runs on {@code cluster-leases}; the watcher (jnats) only updates {@link #observed}.
 */
final class RoomLeases {
    private static final Logger LOG = LoggerFactory.getLogger(RoomLeases.class);
    /** The value of a lease its owner handed back at a clean stop: taken over at once. */
    static final String RELEASED = "-";
    private static final int WRONG_LAST_SEQUENCE = 10071;
    private static final int FENCE_ATTEMPTS = 5;
    /**
     * Each request of a takeover (the lease update, the reads, the fence) waits 1 s for its answer, 2 s after 12
     * failed attempts and the usual 5 s after 20. JetStream electing the leaders that a dead NATS server held
     * answers nothing for seconds (4-17 s here, measured by the attempts that failed); a request sent then waits
     * its whole timeout although the next one, sent just after the election, is answered in milliseconds. With
     * 5 s from the start (ClusterFailoverTest, stream leader then owner killed) the room came back 7.4-12.4 s after
     * the kill in 5 runs, the attempt after the first timeout taking 0.1-0.4 s. Growing in the end, so that a
     * JetStream that is merely slow (a loaded box) is still read.
     */

    /** What the watcher last saw of a lease. */
    record Observed(String owner, long revision, long seenNanos) {
    }

    private final ClusterNode node;
    private final RoomRegistry rooms;
    private final StreamJournal journal;
    private final Relay relay;
    private final KeyValue kv;
    private final byte[] me;
    private final long leaseNanos;
    /** Room id → revision of this node's lease. Lease thread only. */
    private final Map<String, Long> owned = new HashMap<>();
    private volatile int held;
    /** Rooms whose lease this node took but whose log could not be read or fenced yet (JetStream electing a
     * leader): retried on every scan while the lease is renewed. Lease thread only. */
    private final Map<String, Long> restoring = new HashMap<>();
    /** Failed rebuild attempts of the rooms in {@link #restoring}. Lease thread only. */
    private final Map<String, Integer> failedAttempts = new HashMap<>();
    /** Failed attempts to take an expired lease, per room, while they fail. Lease thread only. */
    private final Map<String, Integer> takeoverFailures = new HashMap<>();
    /** Rooms whose takeover failed for want of JetStream, said once. Lease thread only. */
    private final java.util.Set<String> unreachable = new java.util.HashSet<>();
    /** Every lease in the bucket as last seen; written by the watcher's thread, read by any. */
    private final Map<String, Observed> observed = new ConcurrentHashMap<>();

    RoomLeases(ClusterNode node, RoomRegistry rooms, StreamJournal journal, Relay relay) {
        this.node = node;
        this.rooms = rooms;
        this.journal = journal;
        this.relay = relay;
        this.kv = node.leaseBucket();
        this.me = node.name().getBytes(StandardCharsets.US_ASCII);
        this.leaseNanos = TimeUnit.MILLISECONDS.toNanos(node.settings().leaseMs());
    }

    /**
     * Until when a lease written at {@code sentNanos} surely holds: the lease time after the write was sent, less
     * a sixth for clock rates and the other nodes' scan delay (they count from when they see the write).
     */
    private long validUntil(long sentNanos) {
        return sentNanos + leaseNanos - leaseNanos / 6;
    }

    /** How long each request of a takeover may wait after {@code failedBefore} failed attempts. */
    private static Duration patience(int failedBefore) {
        List<Duration> steps = ClusterNode.REQUEST_TIMEOUTS; // 1 s, 2 s, 5 s
        return failedBefore < 12 ? steps.get(0) : failedBefore < 20 ? steps.get(1) : steps.get(2);
    }

    void start() {
        try {
            kv.watchAll(new Watcher());
        } catch (IOException | JetStreamApiException e) {
            throw new ClusterUnavailableException("cannot watch the lease bucket: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted while watching the lease bucket", e);
        }
        long lease = node.settings().leaseMs();
        node.leaseThread().scheduleWithFixedDelay(everyTime("a lease renewal", this::renew), lease / 3, lease / 3,
                TimeUnit.MILLISECONDS);
        long scan = Math.max(50, Math.min(250, lease / 6));
        node.leaseThread().scheduleWithFixedDelay(everyTime("a lease scan", this::scan), scan, scan,
                TimeUnit.MILLISECONDS);
    }

    /** The lease of {@code roomId} as last seen, or null when there is none. Any thread. */
    Observed observed(String roomId) {
        return observed.get(roomId);
    }

    /**
     * Whether a lease may be taken over: handed back, or not renewed for the lease time while its owner is not
     * heard from either. An owner whose heartbeats still arrive keeps its rooms even when it cannot renew (JetStream
     * electing a leader takes seconds, during which nobody can write the bucket): taking them then would only move
     * rooms between healthy nodes. Fencing keeps it safe either way.
     */
    boolean expired(Observed o) {
        return o.owner().equals(RELEASED)
                || (System.nanoTime() - o.seenNanos() > leaseNanos && !node.alive(o.owner()));
    }

    int held() {
        return held;
    }

    /** Rooms (not pools) per owner among the leases as last seen; handed-back leases count for nobody. Any thread. */
    Map<String, Integer> roomsPerNode() {
        Map<String, Integer> out = new HashMap<>();
        for (Map.Entry<String, Observed> e : observed.entrySet()) {
            String owner = e.getValue().owner();
            if (!PoolStream.isPoolKey(e.getKey()) && !owner.equals(RELEASED)) {
                out.merge(owner, 1, Integer::sum);
            }
        }
        return out;
    }

    /** A room opened on this node: its lease is created (it cannot exist: room ids are fresh). */
    void claim(String roomId) {
        node.leaseThread().execute(() -> {
            try {
                long sent = System.nanoTime();
                owned.put(roomId, kv.create(roomId, me));
                held = owned.size();
                journal.leaseConfirmed(roomId, validUntil(sent));
            } catch (JetStreamApiException e) {
                LOG.error("cluster: room {} already has a lease ({}); this node does not own it", roomId,
                        e.getMessage());
                dropRoom(roomId, "its lease belongs to another node");
            } catch (IOException e) {
                LOG.warn("cluster: lease of room {} not created yet ({}); retrying", roomId, e.getMessage());
                node.leaseThread().schedule(() -> claim(roomId), 200, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** The room's session closed and its close is durable: its lease goes. */
    void release(String roomId) {
        node.leaseThread().execute(() -> {
            Long rev = owned.remove(roomId);
            held = owned.size();
            if (rev != null) {
                try {
                    kv.delete(roomId, rev);
                } catch (IOException | JetStreamApiException e) {
                    LOG.warn("cluster: lease of closed room {} not deleted: {}", roomId, e.getMessage());
                }
            }
        });
    }

    /**
     * This node no longer owns {@code roomId} (fenced, or its lease taken): the room goes, members reconnect. A
     * lease this node still holds is handed back (value {@link #RELEASED}): its log refused an append although no
     * node took the lease — JetStream lost the end of the log (every NATS server killed at once, 2026-12-04) or
     * another writer appended without it. Kept, the lease would never expire (this node's heartbeats go on), so
     * nobody, this node included, would rebuild the room and its members could never resume.
     */
    void lost(String roomId, String why) {
        node.leaseThread().execute(() -> {
            Long rev = owned.remove(roomId);
            held = owned.size();
            dropRoom(roomId, why);
            if (rev != null) {
                handBack(roomId, rev);
            }
        });
    }

    /** Lease thread: hands back a lease this node gave up, retried every second while NATS does not answer. */
    private void handBack(String roomId, long rev) {
        if (owned.containsKey(roomId)) {
            return; // this node took it again meanwhile
        }
        try {
            kv.update(roomId, RELEASED.getBytes(StandardCharsets.US_ASCII), rev);
            LOG.info("cluster: lease of room {} handed back, so that it is rebuilt from its log", roomId);
        } catch (JetStreamApiException e) { // another revision: another node holds it now
            LOG.info("cluster: lease of room {} not handed back: {}", roomId, e.getMessage());
        } catch (IOException e) {
            node.leaseThread().schedule(() -> handBack(roomId, rev), 1, TimeUnit.SECONDS);
        }
    }

    private void dropRoom(String roomId, String why) {
        if (PoolStream.isPoolKey(roomId)) {
            node.pools().dropped(PoolStream.poolOf(roomId), why);
            return;
        }
        journal.dropped(roomId);
        if (rooms.suspend(roomId, "the room moved to another server; reconnect to resume",
                ErrorCode.SERVER_SHUTDOWN)) {
            node.metrics().roomLost();
            LOG.warn("cluster: room {} dropped by node {}: {}", roomId, node.name(), why);
        }
    }

    /**
     * A periodic task of the lease thread that never ends its schedule: {@link java.util.concurrent.ScheduledExecutorService} cancels a
     * task for good when it throws, and a node whose scan had thrown once would never again take a room over or
     * notice a dead owner.
     */
    private static Runnable everyTime(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("cluster: {} failed; carrying on at the next one", what, e);
            }
        };
    }

    private void renew() {
        for (Map.Entry<String, Long> e : new ArrayList<>(owned.entrySet())) {
            try {
                long sent = System.nanoTime();
                owned.put(e.getKey(), kv.update(e.getKey(), me, e.getValue()));
                journal.leaseConfirmed(e.getKey(), validUntil(sent));
                restoring.computeIfPresent(e.getKey(), (k, v) -> sent); // a rebuild after it counts from here
            } catch (JetStreamApiException ex) {
                if (ex.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                    owned.remove(e.getKey());
                    dropRoom(e.getKey(), "its lease was taken over");
                } else {
                    LOG.warn("cluster: lease of room {} not renewed: {}", e.getKey(), ex.getMessage());
                }
            } catch (IOException ex) {
                LOG.warn("cluster: lease of room {} not renewed: {}", e.getKey(), ex.getMessage());
            }
        }
        held = owned.size();
    }

    /** Takes over the rooms whose leases expired. */
    private void scan() {
        for (Map.Entry<String, Long> e : new ArrayList<>(restoring.entrySet())) {
            if (!owned.containsKey(e.getKey())) {
                restoring.remove(e.getKey()); // the lease went meanwhile
                failedAttempts.remove(e.getKey());
            } else {
                rebuild(e.getKey(), "(retry)", e.getValue());
            }
        }
        takeoverFailures.keySet().removeIf(roomId -> !observed.containsKey(roomId));
        // pools first: a pool's rooms rebuilt after it here get its time listener (their scenes count for pay)
        List<Map.Entry<String, Observed>> due = new ArrayList<>();
        for (Map.Entry<String, Observed> e : observed.entrySet()) {
            if (!owned.containsKey(e.getKey()) && expired(e.getValue())) {
                due.add(e);
            }
        }
        due.sort(java.util.Comparator.comparing(e -> !PoolStream.isPoolKey(e.getKey())));
        for (Map.Entry<String, Observed> e : due) {
            takeOver(e.getKey(), e.getValue());
        }
        relay.checkLiveness();
    }

    private void takeOver(String roomId, Observed lease) {
        long rev;
        long sent = System.nanoTime();
        try {
            // the bucket's leader may be the NATS server that died: the same short, growing patience as the reads
            rev = node.withTimeout(patience(takeoverFailures.getOrDefault(roomId, 0))).leases()
                    .update(roomId, me, lease.revision());
            takeoverFailures.remove(roomId);
            LOG.info("cluster: lease of room {} taken from {} (last renewal seen {} ms ago; the update took {} ms)",
                    roomId, lease.owner(), TimeUnit.NANOSECONDS.toMillis(sent - lease.seenNanos()),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
        } catch (JetStreamApiException e) {
            takeoverFailures.remove(roomId);
            return; // another node was faster; the watcher shows who
        } catch (IOException e) {
            takeoverFailures.merge(roomId, 1, Integer::sum);
            if (unreachable.add(roomId)) { // once per streak: the scan retries every few hundred ms
                LOG.info("cluster: lease of room {} (expired {} ms ago) not taken yet: {}", roomId,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lease.seenNanos() - leaseNanos),
                        e.toString());
            }
            return;
        }
        unreachable.remove(roomId);
        owned.put(roomId, rev);
        held = owned.size();
        rebuild(roomId, lease.owner(), sent);
    }

    /** Fences and rebuilds a room whose lease this node holds; on failure it is retried on the next scan. */
    private void rebuild(String roomId, String from, long leaseSent) {
        long start = System.nanoTime();
        int failed = failedAttempts.getOrDefault(roomId, 0);
        Duration patience = patience(failed);
        try {
            boolean rebuilt = restore(roomId, leaseSent, patience);
            restoring.remove(roomId);
            failedAttempts.remove(roomId);
            if (rebuilt) {
                node.metrics().tookOver();
                LOG.info("cluster: node {} took room {} over from {} in {} ms (after {} failed attempts)",
                        node.name(), roomId, from, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), failed);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            restoring.put(roomId, leaseSent);
            failedAttempts.put(roomId, failed + 1);
            // the first failure and then every fourth: a JetStream outage retries every scan for as long as it lasts
            if (failed % 4 == 0) {
                LOG.warn("cluster: room {} not rebuilt yet (attempt {}, {} ms, requests bounded by {} ms), "
                                + "retrying while its lease is held: {}", roomId, failed + 1,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), patience.toMillis(), e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Fences the room's log and rebuilds the room from it. False when there is nothing to rebuild: no session (the
     * lease is deleted), or it closed (it is exported here, then the lease is deleted).
     */
    private boolean restore(String roomId, long leaseSent, Duration patience)
            throws IOException, JetStreamApiException, InterruptedException {
        if (PoolStream.isPoolKey(roomId)) { // a lobby pool's lease: its log is the pool's subject
            if (node.pools().restore(PoolStream.poolOf(roomId), patience)) {
                return true;
            }
            Long rev = owned.remove(roomId);
            held = owned.size();
            if (rev != null) {
                kv.delete(roomId, rev);
            }
            return false;
        }
        for (int attempt = 1; attempt <= FENCE_ATTEMPTS; attempt++) {
            RoomStream.Contents log = RoomStream.read(node, roomId, patience);
            SessionRecords.Fold fold = new SessionRecords.Fold();
            for (var r : log.records()) {
                fold.add(r);
            }
            for (String problem : fold.problems()) {
                LOG.warn("cluster: room {}: {}", roomId, problem);
            }
            if (fold.closed()) { // its node was lost before it exported the session: the lease holder does
                LOG.info("cluster: room {}: its session {} closed before its node was lost; exporting it here",
                        roomId, fold.sessionId());
                node.sessionExport().export(roomId, () -> release(roomId));
                return false;
            }
            if (fold.room() == null) {
                Long rev = owned.remove(roomId);
                held = owned.size();
                if (rev != null) {
                    kv.delete(roomId, rev);
                }
                return false;
            }
            byte[] fence = SessionRecords.frames(List.of(SessionRecords.fact(fold.sessionId(), "owner",
                    node.name())));
            PublishAck ack;
            try {
                ack = node.withTimeout(patience).js().publish(StreamJournal.subject(roomId), fence,
                        PublishOptions.builder().expectedLastSubjectSequence(log.lastSubjectSeq())
                                .messageId(fold.sessionId() + "-owner-" + UUID.randomUUID()).build());
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                    continue; // the old owner appended meanwhile: read again
                }
                throw e;
            }
            RecoveredRoom room = fold.room();
            journal.adopt(roomId, fold.sessionId(), ack.getSeqno(), room.lastSeq(), room.reservedSeq(),
                    validUntil(leaseSent));
            rooms.restore(room, node.poolRooms().listenerFor(room));
            if (room.reservedSeq() > room.lastSeq()) { // what a member may have seen that the log never got
                LOG.info("cluster: room {}: seqs {}..{} were reserved by the old owner and are not in the log; "
                                + "events a member saw with these seqs were never durable (server_restarted names "
                                + "them)", roomId, room.lastSeq() + 1, room.reservedSeq());
            }
            return true;
        }
        throw new IOException("room " + roomId + ": its log kept moving while it was fenced");
    }

    /** Shutdown: hands every lease back (value {@link #RELEASED}), so that another node takes the rooms at once. */
    void releaseAll(long graceMs) {
        CountDownLatch done = new CountDownLatch(1);
        try {
            node.leaseThread().execute(() -> {
                for (Map.Entry<String, Long> e : owned.entrySet()) {
                    try {
                        kv.update(e.getKey(), RELEASED.getBytes(StandardCharsets.US_ASCII), e.getValue());
                    } catch (IOException | JetStreamApiException ex) {
                        LOG.warn("cluster: lease of room {} not handed back: {}", e.getKey(), ex.getMessage());
                    }
                }
                owned.clear();
                held = 0;
                done.countDown();
            });
            done.await(graceMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // already stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps {@link #observed} current; tells the relay and this node when a room changes hands. */
    private final class Watcher implements KeyValueWatcher {
        @Override
        public void watch(KeyValueEntry entry) {
            String roomId = entry.getKey();
            if (entry.getOperation() != KeyValueOperation.PUT) {
                observed.remove(roomId);
                relay.ownerChanged(roomId, null);
                return;
            }
            String owner = new String(entry.getValue(), StandardCharsets.US_ASCII);
            Observed before = observed.get(roomId);
            if (before != null && before.revision() == entry.getRevision()) {
                return;
            }
            observed.put(roomId, new Observed(owner, entry.getRevision(), System.nanoTime()));
            if (before != null && !before.owner().equals(owner)) {
                relay.ownerChanged(roomId, owner);
                if (!owner.equals(node.name()) && !owner.equals(RELEASED)) {
                    node.leaseThread().execute(() -> {
                        if (owned.containsKey(roomId)) {
                            owned.remove(roomId);
                            held = owned.size();
                            dropRoom(roomId, "node " + owner + " holds its lease now");
                        }
                    });
                }
            }
        }

        @Override
        public void endOfData() {
        }
    }
}
