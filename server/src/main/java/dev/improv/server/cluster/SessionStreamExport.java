package dev.improv.server.cluster;

import dev.improv.server.eventlog.SessionExport;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.eventlog.WalRecord;
import io.nats.client.JetStreamApiException;
import io.nats.client.PurgeOptions;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A closed cluster session becomes files, as on one node: once its close is stored, the room's subject is read
 * back, {@code sessions/<id>/events.jsonl} (the stored bytes of every event, in seq order) and {@code meta.json}
 * are written into this node's data dir and forced ({@link SessionExport}, the one-node format), then the subject
 * is purged from the stream (the retention rule: a closed, exported session's records go) and only then does the
 * room's lease go. So a node lost before the files are forced still holds the lease: the node that takes it over
 * finds the session closed and exports it ({@link RoomLeases}). One thread of its own ({@code cluster-export}): it
 * reads NATS and writes and forces files, never on an I/O, room or lease thread. A failure is retried (1 s doubling
 * to 30 s) while the lease is held; a stop leaves it to the node that takes the lease.
 */
final class SessionStreamExport {
    private static final Logger LOG = LoggerFactory.getLogger(SessionStreamExport.class);
    static final long RETRY_FIRST_MS = 1_000;
    static final long RETRY_MAX_MS = 30_000;

    private final ClusterNode node;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-export");
        t.setDaemon(true);
        return t;
    });
    /** Where sessions are written; null until the server gives its data dir (then nothing is exported). */
    private volatile SessionFiles files;
    private volatile boolean sync = true;

    SessionStreamExport(ClusterNode node) {
        this.node = node;
    }

    /** The node's sessions folder, and whether to force what is written (the server's fsync policy). */
    void into(SessionFiles files, boolean sync) {
        this.sync = sync;
        this.files = files;
    }

    /** Exports the closed session of {@code roomId}'s subject; {@code exported} runs once the files are forced. */
    void export(String roomId, Runnable exported) {
        schedule(roomId, exported, 0, 0);
    }

    private void schedule(String roomId, Runnable exported, long delayMs, long lastDelayMs) {
        try {
            thread.schedule(() -> attempt(roomId, exported, lastDelayMs), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.info("cluster: room {}: export left to the node that takes its lease (stopping)", roomId);
        }
    }

    private void attempt(String roomId, Runnable exported, long lastDelayMs) {
        long start = System.nanoTime();
        try {
            String session = write(roomId);
            node.jsm().purgeStream(ClusterNode.STREAM, PurgeOptions.subject(StreamJournal.subject(roomId)));
            if (session != null) {
                LOG.info("cluster: room {}: session {} exported to {} and purged from the stream in {} ms", roomId,
                        session, files.dir(session), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            exported.run();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            long next = lastDelayMs == 0 ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, lastDelayMs * 2);
            LOG.warn("cluster: room {}: closed session not exported yet, retrying in {} ms: {}", roomId, next,
                    e.toString());
            schedule(roomId, exported, next, next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes the subject's closed session to files; its id, or null when the subject holds no closed session. */
    private String write(String roomId) throws IOException, JetStreamApiException, InterruptedException {
        SessionFiles into = files;
        if (into == null) {
            throw new IOException("this node has no sessions folder to export into");
        }
        RoomStream.Contents log = RoomStream.readPatiently(node, roomId);
        String session = null;
        byte[] meta = null;
        for (WalRecord r : log.records()) {
            if (r.type() == WalRecord.Type.SESSION_CLOSE) {
                session = r.key();
                meta = r.body();
            }
        }
        if (session == null) {
            return null;
        }
        Map<Long, byte[]> events = new TreeMap<>();
        for (WalRecord r : log.records()) {
            if (r.type() == WalRecord.Type.EVENT && r.key().equals(session)) {
                events.putIfAbsent(r.seq(), r.body()); // a seq is stored once (fencing); the first counts
            }
        }
        SessionExport.write(into, session, meta, sync, sink -> {
            for (Map.Entry<Long, byte[]> e : events.entrySet()) {
                sink.event(e.getKey(), e.getValue());
            }
        });
        return session;
    }

    void close() {
        thread.shutdownNow();
    }
}
