package dev.improv.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenarios about connections rather than messages.
 *
 * <ul>
 *   <li>{@code join}: N participants join as fast as possible (all connects started at once unless a
 *   concurrency is given); join latency is TCP connect start to welcome received.</li>
 *   <li>{@code idle}: N joined connections are held silent; the server's RSS and heap (after a full GC, via
 *   jcmd) are taken before and after, and their growth divided by N is the memory per connection.</li>
 * </ul>
 * Rooms are full rooms of 16 members (our server's default limit); the last one may be partly filled.
 */
final class ConnectScenario implements WsClients.Listener {
    private final Dialect dialect;
    private final int connections;
    private final long serverPid;

    ConnectScenario(Dialect dialect, int connections, long serverPid) {
        this.dialect = dialect;
        this.connections = connections;
        this.serverPid = serverPid;
    }

    private List<Conn> prepare(int count) throws Exception {
        Plan.Shape shape = Plan.Shape.full();
        int rooms = (count + shape.size() - 1) / shape.size();
        List<Conn> all = new ArrayList<>(count);
        for (Plan.Room room : dialect.prepare(rooms, shape)) {
            for (Plan.Member m : room.members()) {
                if (all.size() < count) {
                    all.add(new Conn(m));
                }
            }
        }
        return all;
    }

    void join(WsClients clients, Measure measure, int concurrency, long timeoutMs, int warmup, ObjectNode out)
            throws Exception {
        if (warmup > 0) {
            // Each case starts a fresh server: without this the storm would measure the JIT compiling the join path.
            List<Conn> warm = prepare(warmup);
            Connector w = new Connector(clients, warm, this);
            w.connectAll(50, timeoutMs);
            w.stopping();
            for (Conn c : warm) {
                if (c.channel != null) {
                    c.channel.close();
                }
            }
            Thread.sleep(1000);
            out.put("warmupJoins", warmup - w.failures() - w.unresolved());
        }
        List<Conn> all = prepare(connections);
        Connector connector = new Connector(clients, all, this);
        measure.start();
        long start = System.nanoTime();
        connector.connectAll(concurrency <= 0 ? all.size() : concurrency, timeoutMs);
        long end = connector.lastWelcomeNanos();
        measure.stop(out);
        connector.stopping();
        out.put("connections", all.size());
        out.put("joined", all.size() - connector.failures() - connector.unresolved());
        out.put("joinFailures", connector.failures() + connector.unresolved());
        out.put("failureSamples", connector.failureSamples().toString());
        out.put("allJoinedAfterMs", end == 0 ? -1 : Measure.ms(end - start));
        out.set("joinLatency", Measure.latency(connector.joinNanos()));
    }

    void idle(WsClients clients, Measure measure, int concurrency, long timeoutMs, long holdMs, ObjectNode out)
            throws Exception {
        List<Conn> all = prepare(connections);
        // GC first, then RSS: both samples are taken in the same state (just after a full GC).
        long heapBefore = serverPid > 0 ? ProcStats.heapUsedAfterGc(serverPid) : -1;
        long rssBefore = serverPid > 0 ? ProcStats.rssBytes(serverPid) : -1;
        Connector connector = new Connector(clients, all, this);
        boolean joined = connector.connectAll(concurrency, timeoutMs);
        int held = all.size() - connector.failures() - (int) connector.unresolved();
        out.put("connections", all.size());
        out.put("joined", held);
        out.put("joinFailures", connector.failures() + connector.unresolved());
        out.put("failureSamples", connector.failureSamples().toString());
        out.set("joinLatency", Measure.latency(connector.joinNanos()));
        if (!joined) {
            out.put("note", "not every connection joined; memory is divided by the " + held + " that did");
        }
        measure.start();
        Thread.sleep(holdMs);
        measure.stop(out);
        out.put("droppedWhileIdle", connector.dropped());
        if (serverPid > 0 && held > 0) {
            long heapAfter = ProcStats.heapUsedAfterGc(serverPid);
            long rssAfter = ProcStats.rssBytes(serverPid);
            out.put("serverRssBeforeMiB", Measure.round(rssBefore / 1048576.0));
            out.put("serverRssAfterMiB", Measure.round(rssAfter / 1048576.0));
            out.put("rssPerConnKiB", Measure.round((rssAfter - rssBefore) / 1024.0 / held));
            if (heapBefore > 0 && heapAfter > 0) {
                out.put("heapBeforeMiB", Measure.round(heapBefore / 1048576.0));
                out.put("heapAfterMiB", Measure.round(heapAfter / 1048576.0));
                out.put("heapPerConnKiB", Measure.round((heapAfter - heapBefore) / 1024.0 / held));
            }
        }
        connector.stopping();
    }

    @Override
    public void welcome(Conn conn, long nanos) {
    }

    @Override
    public void data(Conn conn, ByteBuf text, long nanos) {
    }

    @Override
    public void failed(Conn conn, String why) {
    }
}
