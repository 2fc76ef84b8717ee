package dev.improv.load;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Opens many connections with at most {@code concurrency} joins in flight, and measures each join from the
 * start of its TCP connect to its welcome. After the connect phase it passes data on to the scenario, and
 * counts connections that drop while the scenario still runs.
 */
final class Connector implements WsClients.Listener {
    private final WsClients clients;
    private final Queue<Conn> waiting;
    private final int total;
    private final CountDownLatch resolvedAll;
    private final WsClients.Listener downstream;
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** A recorder: late joins may still record while the result is taken. */
    private final Recorder joinNanos = new Recorder(MAX_NANOS, 3);
    private Histogram joinSnapshot;
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final Queue<String> failureSamples = new ConcurrentLinkedQueue<>();
    private volatile boolean stopping;
    private volatile long lastWelcome;

    Connector(WsClients clients, List<Conn> conns, WsClients.Listener downstream) {
        this.clients = clients;
        this.waiting = new ConcurrentLinkedQueue<>(new ArrayDeque<>(conns));
        this.total = conns.size();
        this.resolvedAll = new CountDownLatch(conns.size());
        this.downstream = downstream;
    }

    /** Connects everyone; true when all joined before the timeout. */
    boolean connectAll(int concurrency, long timeoutMs) throws InterruptedException {
        for (int i = 0; i < Math.min(concurrency, total); i++) {
            next();
        }
        resolvedAll.await(timeoutMs, TimeUnit.MILLISECONDS);
        return failures.get() == 0 && resolvedAll.getCount() == 0;
    }

    private void next() {
        Conn c = waiting.poll();
        if (c != null) {
            clients.connect(c, this);
        }
    }

    /** From now on connections that close are the scenario's own doing, not failures. */
    void stopping() {
        stopping = true;
    }

    @Override
    public void welcome(Conn conn, long nanos) {
        if (!conn.resolved) {
            conn.resolved = true;
            joinNanos.recordValue(Math.min(nanos - conn.connectStartNanos, MAX_NANOS));
            lastWelcome = nanos;
            resolvedAll.countDown();
            next();
        }
    }

    @Override
    public void data(Conn conn, ByteBuf text, long nanos) {
        downstream.data(conn, text, nanos);
    }

    @Override
    public void failed(Conn conn, String why) {
        if (!conn.resolved) {
            conn.resolved = true;
            failures.incrementAndGet();
            sample(conn, why);
            resolvedAll.countDown();
            next();
        } else if (!stopping && !why.startsWith("exception")) {
            dropped.incrementAndGet();
            sample(conn, "dropped: " + why);
        }
    }

    private void sample(Conn conn, String why) {
        if (failureSamples.size() < 5) {
            failureSamples.add(conn.member.path().replaceAll("token=[^&]*", "token=...") + ": " + why);
        }
    }

    /** Join latencies recorded so far; taken once, later calls return the same snapshot. */
    synchronized Histogram joinNanos() {
        if (joinSnapshot == null) {
            joinSnapshot = joinNanos.getIntervalHistogram();
        }
        return joinSnapshot;
    }

    int failures() {
        return failures.get();
    }

    int dropped() {
        return dropped.get();
    }

    long unresolved() {
        return resolvedAll.getCount();
    }

    long lastWelcomeNanos() {
        return lastWelcome;
    }

    List<String> failureSamples() {
        return List.copyOf(failureSamples);
    }
}
