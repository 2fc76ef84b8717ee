package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what all WebSocket sessions together have queued and not yet written to their sockets. Each session is
 * bounded by itself ({@code --write-buffer-high-water}, 1 MiB: a member over it is cut as a slow consumer), but
 * not all of them together: 40 members in 40 rooms that never read, each sent signals of 60 KB by another member
 * at its message rate, held 1 MiB each (plus the 2 s a slow consumer's close may take) and took all of 32 MiB of
 * direct memory; then the I/O thread waited in {@code Bits.reserveMemory} and its rooms stopped (reproduced by
 * DirectMemoryEndToEndTest). What is queued is always direct memory (Netty copies heap buffers into direct ones
 * when they are written), so it is bounded here.
 *
 * <p>Every {@link #SWEEP_MS} ms, and whenever a member is cut as a slow consumer, the bytes queued on every session
 * (Netty's outbound buffer, read without locks) are summed; over {@code --ws-output-budget-bytes} the sessions
 * with the most queued are cut at once, without a close frame (they are not reading it; their queue is dropped
 * now instead of after the close handshake's wait), counted as {@code slow_consumer}, until the rest hold under
 * three quarters of the budget. Logged at most once a minute (WARN). Thread-safe.
 */
final class WebSocketOutputBudget {
    static final long SWEEP_MS = 100;
    /** On a WebSocket channel: the budget its session is watched by (set at the upgrade). */
    static final AttributeKey<WebSocketOutputBudget> KEY = AttributeKey.valueOf("improv.outputBudget");
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketOutputBudget.class);

    private final long budget;
    private final ServerMetrics metrics;
    private final Set<NettyMemberConnection> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile long lastWarnNanos = System.nanoTime() - WARN_EVERY_NANOS;

    WebSocketOutputBudget(long configured, ServerMetrics metrics) {
        this.budget = configured < 0 ? autoBudget() : configured;
        this.metrics = metrics;
    }

    /** Half of the JVM's direct memory ({@code -XX:MaxDirectMemorySize}, or the heap size when it is not set). */
    static long autoBudget() {
        return Math.max(1L << 20, PlatformDependent.maxDirectMemory() / 2);
    }

    long budget() {
        return budget;
    }

    boolean enabled() {
        return budget > 0;
    }

    /** A session to watch, until its channel closes; starts the sweeps on {@code loop} with the first one. */
    void watch(NettyMemberConnection session, EventLoop loop) {
        session.watchedBy(this);
        sessions.add(session);
        session.channel().closeFuture().addListener(f -> sessions.remove(session));
        if (started.compareAndSet(false, true)) {
            loop.scheduleAtFixedRate(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
        }
    }

    static long queued(NettyMemberConnection session) {
        ChannelOutboundBuffer out = session.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /** Sums what every session has queued and cuts the largest while over the budget. Any thread, one at a time. */
    void sweep() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            long total = 0;
            List<long[]> sizes = new ArrayList<>(); // index into list, queued
            List<NettyMemberConnection> list = new ArrayList<>(sessions);
            for (int i = 0; i < list.size(); i++) {
                long q = queued(list.get(i));
                total += q;
                if (q > 0) {
                    sizes.add(new long[] {i, q});
                }
            }
            if (total <= budget) {
                return;
            }
            sizes.sort(Comparator.comparingLong((long[] e) -> e[1]).reversed());
            long excess = total - budget * 3 / 4;
            int cut = 0;
            long largest = sizes.isEmpty() ? 0 : sizes.get(0)[1];
            for (long[] e : sizes) {
                if (excess <= 0) {
                    break;
                }
                list.get((int) e[0]).cutForMemory();
                excess -= e[1];
                cut++;
            }
            metrics.errors(ErrorCode.SLOW_CONSUMER, cut);
            long now = System.nanoTime();
            if (now - lastWarnNanos >= WARN_EVERY_NANOS) {
                lastWarnNanos = now;
                LOG.warn("WebSocket sessions have {} KiB queued and not yet written, over the budget of {} KiB "
                                + "(--ws-output-budget-bytes); cut the {} sessions with the most queued (largest {} KiB) "
                                + "as slow consumers; further cuts this minute are only counted", total >> 10,
                        budget >> 10, cut, largest >> 10);
            }
        } finally {
            sweeping.set(false);
        }
    }
}
