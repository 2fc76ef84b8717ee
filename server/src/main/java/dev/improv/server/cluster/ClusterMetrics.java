package dev.improv.server.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's meters, on the server's registry: nodes alive, leases held, NATS connected, the room logs'
 * unacknowledged bytes, append and relay round trips, takeovers and fences. No tag carries a room or node name.
 * Lock-free; any thread.
 */
final class ClusterMetrics {
    private final Timer appendOk;
    private final Timer appendFailed;
    private final Timer relayRoundTrip;
    private final Counter takeovers;
    private final Counter roomsLost;

    ClusterMetrics(MeterRegistry registry, ClusterNode node) {
        Gauge.builder("improv_cluster_nodes", node, n -> n.nodes().size())
                .description("Server nodes of the cluster heard from within the last 2 s, this one included")
                .register(registry);
        Gauge.builder("improv_cluster_leases_held", node, n -> n.leases() == null ? 0 : n.leases().held())
                .description("Room leases this node holds (rooms it owns)").register(registry);
        Gauge.builder("improv_cluster_connected", node, n -> n.connected() ? 1 : 0)
                .description("1 while the NATS connection is up, else 0").register(registry);
        Gauge.builder("improv_cluster_log_backlog_bytes", node, n -> n.journal().backlogBytes())
                .description("Bytes of room logs queued and not yet acknowledged by JetStream").register(registry);
        Timer.Builder append = Timer.builder("improv_cluster_append_seconds")
                .description("Publish of one room log batch to JetStream until its answer")
                .publishPercentiles(0.5, 0.99, 0.999);
        this.appendOk = append.tag("outcome", "ok").register(registry);
        this.appendFailed = append.tag("outcome", "failed").register(registry);
        this.relayRoundTrip = Timer.builder("improv_cluster_relay_rtt_seconds")
                .description("Round trip of a ping over the relay subjects to another node and back")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.takeovers = Counter.builder("improv_cluster_takeovers_total")
                .description("Rooms this node took over from a node whose lease expired").register(registry);
        this.roomsLost = Counter.builder("improv_cluster_rooms_lost_total")
                .description("Rooms this node stopped owning because another node holds their lease or appended "
                        + "to their log (fenced)").register(registry);
    }

    void appendAnswered(long nanos, boolean ok) {
        (ok ? appendOk : appendFailed).record(nanos, TimeUnit.NANOSECONDS);
    }

    void relayRoundTrip(long nanos) {
        relayRoundTrip.record(nanos, TimeUnit.NANOSECONDS);
    }

    void tookOver() {
        takeovers.increment();
    }

    void roomLost() {
        roomsLost.increment();
    }
}
