package dev.improv.server.cluster;

import dev.improv.server.eventlog.SessionRecords;
import dev.improv.server.eventlog.WalRecord;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one room's subject of the room stream back, front to back, with an ordered consumer: every record and
 * the stream sequence of the subject's last message (what the next append must expect). Blocking network reads:
 * on the cluster's own threads only.
 */
final class RoomStream {
    /** No message on the subject (JetStream's "no message found"). */
    private static final int NO_MESSAGE = 10037;
    /** One read of a room's subject whose every request and wait is bounded by {@code patience}. */
    @FunctionalInterface
    interface Attempt<T> {
        T run(Duration patience) throws IOException, JetStreamApiException, InterruptedException;
    }

    private RoomStream() {
    }

    /** The records of a room's subject in stream order, and the subject's last stream sequence (0: none). */
    record Contents(List<WalRecord> records, long lastSubjectSeq) {
        /** Events [fromSeq, toSeqExclusive) of a session, one entry per seq; a seq with no event is empty. */
        List<byte[]> events(String sessionId, long fromSeq, long toSeqExclusive) {
            Map<Long, byte[]> bySeq = new HashMap<>();
            for (WalRecord r : records) {
                if (r.type() == WalRecord.Type.EVENT && r.key().equals(sessionId) && r.seq() >= fromSeq
                        && r.seq() < toSeqExclusive) {
                    bySeq.put(r.seq(), r.body());
                }
            }
            List<byte[]> out = new ArrayList<>((int) Math.max(0, toSeqExclusive - fromSeq));
            for (long s = fromSeq; s < toSeqExclusive; s++) {
                out.add(bySeq.getOrDefault(s, new byte[0]));
            }
            return out;
        }
    }

    /**
     * Reads a room's subject for a member's replay: one attempt per {@link ClusterNode#REQUEST_TIMEOUTS} (1 s, 2 s,
     * 5 s), the next at once when one times out — the takeover's growing patience. A read sent while JetStream
     * elects a leader gets no answer and would wait its whole timeout (one replay after a takeover failed so, after
     * 5,011 ms creating its consumer, and the member was cut); the next, sent after the election, is answered in
     * milliseconds. A refusal (JetStreamApiException) is not asked again.
     */
    static Contents readPatiently(ClusterNode node, String roomId) throws IOException, JetStreamApiException,
            InterruptedException {
        return withGrowingPatience(patience -> read(node, roomId, patience));
    }

    /** Runs {@code attempt} with each of {@link ClusterNode#REQUEST_TIMEOUTS} in turn until one does not time out. */
    static <T> T withGrowingPatience(Attempt<T> attempt) throws IOException, JetStreamApiException,
            InterruptedException {
        IOException failed = null;
        for (Duration patience : ClusterNode.REQUEST_TIMEOUTS) {
            try {
                return attempt.run(patience);
            } catch (IOException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        throw failed;
    }

    /** Reads a room's subject once, each request and each wait for a message bounded by {@code patience}. */
    static Contents read(ClusterNode node, String roomId, Duration patience) throws IOException,
            JetStreamApiException, InterruptedException {
        return read(node, ClusterNode.STREAM, StreamJournal.subject(roomId), patience);
    }

    /** Reads one subject of {@code stream} (a room's or a pool's log) once, as the method above. */
    static Contents read(ClusterNode node, String stream, String subject, Duration patience) throws IOException,
            JetStreamApiException, InterruptedException {
        ClusterNode.Contexts jet = node.withTimeout(patience);
        long start = System.nanoTime();
        long last;
        try {
            last = jet.jsm().getLastMessage(stream, subject).getSeq();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE) {
                return new Contents(List.of(), 0);
            }
            throw e;
        } catch (IOException e) {
            throw phase("asking for the subject's last message", start, e);
        }
        List<WalRecord> records = new ArrayList<>();
        JetStreamSubscription sub;
        long subscribing = System.nanoTime();
        try {
            sub = jet.js().subscribe(subject,
                    PushSubscribeOptions.builder().stream(stream).ordered(true).build());
        } catch (IOException e) {
            throw phase("creating the ordered consumer", subscribing, e);
        }
        try {
            long seq = 0;
            while (seq < last) {
                Message m = sub.nextMessage(patience);
                if (m == null) {
                    throw new IOException(subject + ": the stream stopped before sequence " + last
                            + " (at " + seq + ", " + patience.toMillis() + " ms without a message)");
                }
                seq = m.metaData().streamSequence();
                records.addAll(SessionRecords.unframe(m.getData()));
            }
            return new Contents(records, seq);
        } finally {
            sub.unsubscribe();
        }
    }

    /** Which request failed and after how long: a takeover's time goes to the requests that timed out. */
    private static IOException phase(String what, long startNanos, IOException cause) {
        return new IOException(what + " failed after " + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(
                System.nanoTime() - startNanos) + " ms: " + cause.getMessage(), cause);
    }
}
