package dev.improv.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The three message flows of a room, on a fixed schedule. Room r sends its n-th message at the intended time
 * {@code t0 + r * period / rooms + n * period} (phases spread evenly over one period), whatever happened to
 * earlier messages. Latency is taken at each recipient twice: raw, from the moment the generator actually
 * wrote the message, and corrected for coordinated omission, from its intended time (so a stalled sender or
 * server shows up as latency instead of as fewer samples). Messages intended during warm-up are sent and
 * checked for loss but not timed.
 *
 * <ul>
 *   <li>{@code fanout}: the moderator pushes a prompt to the room; timed at every other member.</li>
 *   <li>{@code signal}: performer A sends an SDP-sized signal to performer B; timed at B.</li>
 *   <li>{@code marks}: the performers take turns sending marks; timed at moderators and recorders.</li>
 * </ul>
 */
final class FlowScenario implements WsClients.Listener {
    enum Flow { FANOUT, SIGNAL, MARKS }

    private final Flow flow;
    private final Dialect dialect;
    private final int rooms;
    private final long periodNanos;
    private final long warmupNanos;
    private final long measureNanos;
    private final long drainNanos;
    private final int payloadBytes;
    private final Plan.Shape shape;
    private final int perRoom;

    private List<Plan.Room> plan;
    private Conn[][] conns;
    /** Senders per room; message n of a room is sent by senders[r][n % senders.length]. */
    private Conn[][] senders;
    private Conn[] signalTarget;
    private long t0;
    private long stopAt;
    /** Actual send time per message, index r * perRoom + n; written by the sender's loop. */
    private AtomicLongArray sentAt;

    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Recorders, not histograms: receivers on the event loops may still record while the result is taken. */
    private final Recorder raw = new Recorder(MAX_NANOS, 3);
    private final Recorder corrected = new Recorder(MAX_NANOS, 3);
    /** Set when the result is taken: later arrivals are ignored (they already count as lost). */
    private volatile boolean finished;
    private final LongAdder sent = new LongAdder();
    private final LongAdder expected = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder unexpected = new LongAdder();
    private final LongAdder sendLateOver1ms = new LongAdder();
    private final java.util.Queue<String> unexpectedSamples = new java.util.concurrent.ConcurrentLinkedQueue<>();

    FlowScenario(Flow flow, Dialect dialect, int rooms, long periodMs, long warmupMs, long measureMs, long drainMs,
                 int payloadBytes, boolean recorder) {
        this.flow = flow;
        this.dialect = dialect;
        this.rooms = rooms;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
        this.warmupNanos = TimeUnit.MILLISECONDS.toNanos(warmupMs);
        this.measureNanos = TimeUnit.MILLISECONDS.toNanos(measureMs);
        this.drainNanos = TimeUnit.MILLISECONDS.toNanos(drainMs);
        this.payloadBytes = payloadBytes;
        this.shape = Plan.Shape.improvRoom(recorder);
        this.perRoom = (int) ((warmupNanos + measureNanos) / periodNanos) + 2;
    }

    /** Runs the whole scenario and writes its result into {@code out}. */
    void run(WsClients clients, Measure measure, int connectConcurrency, long connectTimeoutMs, ObjectNode out)
            throws Exception {
        plan = dialect.prepare(rooms, shape);
        conns = new Conn[rooms][];
        senders = new Conn[rooms][];
        signalTarget = new Conn[rooms];
        List<Conn> all = new ArrayList<>();
        for (Plan.Room room : plan) {
            Conn[] cs = room.members().stream().map(Conn::new).toArray(Conn[]::new);
            conns[room.index()] = cs;
            all.addAll(List.of(cs));
            List<Conn> performers = new ArrayList<>();
            Conn moderator = null;
            for (Conn c : cs) {
                if (c.member.role().equals("performer")) {
                    performers.add(c);
                } else if (c.member.role().equals("moderator") && moderator == null) {
                    moderator = c;
                }
            }
            senders[room.index()] = switch (flow) {
                case FANOUT -> new Conn[] {moderator};
                case SIGNAL -> new Conn[] {performers.get(0)};
                case MARKS -> performers.toArray(Conn[]::new);
            };
            signalTarget[room.index()] = performers.get(1);
        }
        sentAt = new AtomicLongArray(rooms * perRoom);
        Connector connector = new Connector(clients, all, this);
        boolean joined = connector.connectAll(connectConcurrency, connectTimeoutMs);
        out.put("connections", all.size());
        out.put("joinFailures", connector.failures());
        if (!joined) {
            out.put("aborted", "not every member joined: " + connector.failureSamples() + ", unresolved "
                    + connector.unresolved());
            return;
        }
        Thread.sleep(1000); // join events of the last members settle

        t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        stopAt = t0 + warmupNanos + measureNanos;
        for (int r = 0; r < rooms; r++) {
            for (int j = 0; j < senders[r].length; j++) {
                scheduleSend(r, j);
            }
        }
        sleepUntil(t0 + warmupNanos);
        ServerLogMetrics.Snapshot logBefore = scrape();
        measure.start();
        long receivedBefore = received.sum();
        sleepUntil(stopAt);
        measure.stop(out);
        ServerLogMetrics.write(logBefore, scrape(), out.path("cpu").path("seconds").asDouble(), out);
        long deliveries = received.sum() - receivedBefore;
        out.put("deliveriesMeasured", deliveries);
        long switches = out.path("cpu").path("serverContextSwitches").asLong(-1);
        if (switches >= 0 && deliveries > 0) {
            ((ObjectNode) out.get("cpu")).put("serverSwitchesPerDelivery", Measure.round((double) switches / deliveries));
            ObjectNode cpu = (ObjectNode) out.get("cpu");
            double seconds = cpu.path("seconds").asDouble();
            double serverPct = cpu.path("serverPct").asDouble();
            cpu.put("serverCpuMicrosPerDelivery", Measure.round(serverPct / 100 * seconds * 1e6 / deliveries));
            if (cpu.has("serverJitPct")) {
                cpu.put("serverCpuMicrosPerDeliveryWithoutJit", Measure.round(
                        (serverPct - cpu.path("serverJitPct").asDouble()) / 100 * seconds * 1e6 / deliveries));
            }
        }
        long drainEnd = System.nanoTime() + drainNanos;
        while (System.nanoTime() < drainEnd && received.sum() < expected.sum()) {
            Thread.sleep(20);
        }
        connector.stopping();
        finished = true;

        out.put("sent", sent.sum());
        out.put("expected", expected.sum());
        out.put("received", received.sum());
        out.put("lost", expected.sum() - received.sum());
        out.put("unexpected", unexpected.sum());
        out.put("unexpectedSamples", unexpectedSamples.toString());
        out.put("droppedConnections", connector.dropped());
        out.put("sendsLateOver1ms", sendLateOver1ms.sum());
        out.set("latencyRaw", Measure.latency(raw.getIntervalHistogram()));
        out.set("latencyCorrected", Measure.latency(corrected.getIntervalHistogram()));
    }

    /** Our server's log metrics, or null (other targets, or the scrape failed: the run goes on without them). */
    private ServerLogMetrics.Snapshot scrape() {
        try {
            String text = dialect.metricsText();
            return text == null ? null : ServerLogMetrics.parse(text);
        } catch (Exception e) {
            return null;
        }
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    private long intended(int room, int n) {
        return t0 + room * periodNanos / rooms + n * periodNanos;
    }

    /** Sender j of room r sends messages n = j, j + s, j + 2s, ... on its own event loop. */
    private void scheduleSend(int room, int j) {
        Conn sender = senders[room][j];
        sendAt(sender.channel, room, j, senders[room].length);
    }

    private void sendAt(Channel ch, int room, int n, int step) {
        long when = intended(room, n);
        if (when >= stopAt || n >= perRoom) {
            return;
        }
        ch.eventLoop().schedule(() -> {
            long now = System.nanoTime();
            if (now - when > 1_000_000) {
                sendLateOver1ms.increment();
            }
            long key = Markers.key(room, n);
            String text = switch (flow) {
                case FANOUT -> dialect.prompt(key, payloadBytes);
                case SIGNAL -> dialect.signal(signalTarget[room].member, key, payloadBytes);
                case MARKS -> dialect.mark(key);
            };
            sentAt.set(room * perRoom + n, System.nanoTime());
            ch.writeAndFlush(new TextWebSocketFrame(text), ch.voidPromise());
            sent.increment();
            expected.add(recipients(room));
            sendAt(ch, room, n + step, step);
        }, Math.max(0, when - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private int recipients(int room) {
        if (flow == Flow.SIGNAL) {
            return 1;
        }
        return conns[room].length - 1 + (dialect.echoesToSender() ? 1 : 0);
    }

    @Override
    public void welcome(Conn conn, long nanos) {
    }

    @Override
    public void data(Conn conn, ByteBuf text, long nanos) {
        long key = Markers.find(text);
        if (finished) {
            return;
        }
        if (key < 0) {
            return; // room traffic that is not ours: joins, presence
        }
        int room = Markers.room(key);
        int n = Markers.number(key);
        if (room != conn.member.room() || n >= perRoom) {
            wrong(conn, "message of room " + room + " #" + n + " arrived in room " + conn.member.room());
            return;
        }
        if (conn.seen.get(n)) {
            wrong(conn, "duplicate of room " + room + " #" + n);
            return;
        }
        conn.seen.set(n);
        Conn sender = senders[room][n % senders[room].length];
        boolean echo = conn == sender;
        if (echo && !dialect.echoesToSender()) {
            wrong(conn, "own message echoed");
            return;
        }
        if (flow == Flow.SIGNAL && conn != signalTarget[room]) {
            wrong(conn, "signal for " + signalTarget[room].member.peerId() + " delivered to " + conn.member.peerId());
            return;
        }
        received.increment();
        if (echo || !timedAt(conn)) {
            return;
        }
        long intended = intended(room, n);
        if (intended < t0 + warmupNanos) {
            return;
        }
        long actual = sentAt.get(room * perRoom + n);
        corrected.recordValue(Math.min(nanos - intended, MAX_NANOS));
        raw.recordValue(Math.min(nanos - (actual == 0 ? intended : actual), MAX_NANOS));
    }

    private boolean timedAt(Conn conn) {
        return flow != Flow.MARKS || conn.member.role().equals("moderator") || conn.member.role().equals("recorder");
    }

    private void wrong(Conn conn, String what) {
        unexpected.increment();
        if (unexpectedSamples.size() < 5) {
            unexpectedSamples.add(what);
        }
    }

    @Override
    public void failed(Conn conn, String why) {
    }
}
