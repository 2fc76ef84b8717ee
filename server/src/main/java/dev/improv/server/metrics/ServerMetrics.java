package dev.improv.server.metrics;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Every meter of the server, behind verbs. */
public final class ServerMetrics {
    private final PrometheusMeterRegistry registry;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger rooms = new AtomicInteger();
    private final Map<Role, AtomicInteger> membersByRole = new EnumMap<>(Role.class);
    private final Map<String, Counter> inByType = new ConcurrentHashMap<>();
    private final Map<String, Counter> outByType = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> errorsByCode = new EnumMap<>(ErrorCode.class);
    private final Timer fanout;
    private final DistributionSummary fanoutRecipients;
    private final Timer logAppendToDurable;
    private final Counter logWriteFailures;
    private final Counter logSegmentsLost;
    private final Counter logFsyncs;
    private final AtomicLong logQueueDepth = new AtomicLong();
    private final Counter roomTasksRejected;
    private final Counter webSocketReadsPaused;

    public ServerMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public ServerMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("improv_connections", connections, AtomicInteger::get)
                .description("Open TCP connections (HTTP and WebSocket)").register(registry);
        Gauge.builder("improv_rooms", rooms, AtomicInteger::get)
                .description("Open rooms").register(registry);
        for (Role role : Role.values()) {
            AtomicInteger n = new AtomicInteger();
            membersByRole.put(role, n);
            Gauge.builder("improv_members", n, AtomicInteger::get).tag("role", role.wireName())
                    .description("Members in rooms (connected or inside their resume window), by role")
                    .register(registry);
        }
        for (ErrorCode code : ErrorCode.values()) {
            errorsByCode.put(code, Counter.builder("improv_errors").tag("code", code.metricTag())
                    .description("Errors sent to clients or connections closed, by code").register(registry));
        }
        fanout = Timer.builder("improv_fanout").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000)).maximumExpectedValue(Duration.ofMillis(100))
                .description("Server-side time to encode one room event and hand it to every member connection")
                .register(registry);
        fanoutRecipients = DistributionSummary.builder("improv_fanout_recipients")
                .description("Member connections one room event was handed to").register(registry);
        logAppendToDurable = Timer.builder("improv_log_append_to_durable").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .description("Time from a room event's append to the session log until it is durable")
                .register(registry);
        logWriteFailures = Counter.builder("improv_log_write_failures")
                .description("Failed attempts to write or fsync the session log").register(registry);
        logSegmentsLost = Counter.builder("improv_log_segments_lost")
                .description("Earlier log segments found deleted or replaced while the server runs").register(registry);
        Gauge.builder("improv_log_queue_depth", logQueueDepth, AtomicLong::get)
                .description("Bytes of log records accepted and not yet durable (the writer's backlog)")
                .register(registry);
        logFsyncs = Counter.builder("improv_log_fsyncs")
                .description("fsyncs of the write-ahead log (one per batch under --fsync BATCH)").register(registry);
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                Gauge.builder("improv_direct_memory_used_bytes", pool, BufferPoolMXBean::getMemoryUsed)
                        .description("Bytes of direct buffers the JVM holds, Netty's pools included (the limit is "
                                + "-XX:MaxDirectMemorySize)").register(registry);
            }
        }
        roomTasksRejected = Counter.builder("improv_room_tasks_rejected")
                .description("Work for a room refused because its owner thread was shut down").register(registry);
        webSocketReadsPaused = Counter.builder("improv_websocket_reads_paused")
                .description("Times a WebSocket connection's reads were paused for sending more bytes per second "
                        + "than --ws-read-bytes-per-second").register(registry);
    }

    /** A connection's reads were paused by its byte rate ({@code transport.InboundByteRate}). */
    public void webSocketReadsPaused() {
        webSocketReadsPaused.increment();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Prometheus text format of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void roomOpened() {
        rooms.incrementAndGet();
    }

    public void roomClosed() {
        rooms.decrementAndGet();
    }

    public void memberAdded(Role role) {
        membersByRole.get(role).incrementAndGet();
    }

    public void memberRemoved(Role role) {
        membersByRole.get(role).decrementAndGet();
    }

    public void messageIn(String type) {
        inByType.computeIfAbsent(type, t -> Counter.builder("improv_messages_in").tag("type", t)
                .description("Client messages received, by type").register(registry)).increment();
    }

    public void messagesOut(String type, int count) {
        outByType.computeIfAbsent(type, t -> Counter.builder("improv_messages_out").tag("type", t)
                .description("Server messages sent, by type (one per recipient)").register(registry)).increment(count);
    }

    public void error(ErrorCode code) {
        errorsByCode.get(code).increment();
    }

    public void errors(ErrorCode code, int count) {
        if (count > 0) {
            errorsByCode.get(code).increment(count);
        }
    }

    /** What unfinished WebSocket messages hold over all sessions (the transport's input budget). */
    public void watchWebSocketInput(LongSupplier heldBytes) {
        Gauge.builder("improv_websocket_input_held_bytes", heldBytes, LongSupplier::getAsLong).strongReference(true)
                .description("Bytes of unfinished WebSocket messages held over all sessions (--ws-input-budget-bytes)")
                .register(registry);
    }

    public void fannedOut(long nanos, int recipients) {
        fanout.record(nanos, TimeUnit.NANOSECONDS);
        fanoutRecipients.record(recipients);
    }

    public void logDurable(long appendToDurableNanos) {
        logAppendToDurable.record(appendToDurableNanos, TimeUnit.NANOSECONDS);
    }

    public void logForced() {
        logFsyncs.increment();
    }

    public void logWriteFailed() {
        logWriteFailures.increment();
    }

    public void logSegmentLost() {
        logSegmentsLost.increment();
    }

    public void logQueueDepth(long depth) {
        logQueueDepth.set(depth);
    }

    public void roomTaskRejected() {
        roomTasksRejected.increment();
    }

    /** Values for tests and the admin API. */
    public int openConnections() {
        return connections.get();
    }

    public int openRooms() {
        return rooms.get();
    }
}
