package dev.improv.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The fan-out flow against a cluster of our server (issue 16): rooms created on every node in turn, every room's
 * members spread over the nodes ({@link ClusterDialect}), one prompt per room every {@code --period-ms} from its
 * moderator, latency from send to each member's receipt as in {@link FlowScenario}. CPU: the first node's as
 * {@code serverPct} (and per delivery as for one node), and every node's plus the NATS servers' as {@code clusterPct}
 * and {@code clusterCpuMicrosPerDelivery} — the cluster's whole cost, next to one node's. Run by
 * {@code load-tests/cluster-fanout.sh}, which starts the NATS servers and the nodes.
 *
 * <pre>
 * java -cp improv-load.jar dev.improv.load.ClusterFanout --ports P1,P2 --server-pids PID1,PID2 --other-pids N1,N2,N3
 *      [--rooms 1000 --period-ms 200 --warmup-s 30 --measure-s 20 --threads 2 --admin-key K --out result.json]
 * </pre>
 */
public final class ClusterFanout {
    private ClusterFanout() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String host = args.get("host", "127.0.0.1");
        int[] ports = Arrays.stream(args.get("ports", "8080").split(",")).mapToInt(Integer::parseInt).toArray();
        long[] pids = Arrays.stream(args.get("server-pids", "").split(",")).filter(s -> !s.isBlank())
                .mapToLong(Long::parseLong).toArray();
        long[] others = Arrays.stream(args.get("other-pids", "").split(",")).filter(s -> !s.isBlank())
                .mapToLong(Long::parseLong).toArray();
        int rooms = args.integer("rooms", 1000);
        long period = args.number("period-ms", 200);
        int bytes = args.integer("payload-bytes", 200);
        ClusterDialect dialect = new ClusterDialect(host, ports, args.get("admin-key", "load-admin-key"));
        ObjectNode out = Measure.JSON.createObjectNode();
        out.put("target", args.get("label", "improv-cluster-" + ports.length + "n"));
        out.put("scenario", "fanout");
        out.put("case", args.get("case", "fanout-" + rooms + "x" + period + "ms"));
        out.put("startedAt", Instant.now().toString());
        out.put("nodes", ports.length);
        out.put("rooms", rooms);
        out.put("periodMs", period);
        out.put("payloadBytes", bytes);
        long[] rest = new long[Math.max(0, pids.length - 1) + others.length];
        if (pids.length > 1) {
            System.arraycopy(pids, 1, rest, 0, pids.length - 1);
        }
        System.arraycopy(others, 0, rest, Math.max(0, pids.length - 1), others.length);
        Measure measure = new Measure(pids.length > 0 ? pids[0] : -1, rest);
        try (WsClients clients = new WsClients(host, ports[0], args.integer("threads", 2),
                args.integer("local-addresses", 8), dialect)) {
            new FlowScenario(FlowScenario.Flow.FANOUT, dialect, rooms, period, args.number("warmup-s", 30) * 1000,
                    args.number("measure-s", 20) * 1000, args.number("drain-ms", 10000), bytes, true)
                    .run(clients, measure, args.integer("connect-concurrency", 500),
                            TimeUnit.SECONDS.toMillis(args.integer("connect-timeout-s", 60)), out);
        }
        ObjectNode cpu = (ObjectNode) out.get("cpu");
        long deliveries = out.path("deliveriesMeasured").asLong();
        if (cpu != null && cpu.has("clusterPct") && deliveries > 0) {
            cpu.put("clusterCpuMicrosPerDelivery", Measure.round(cpu.path("clusterPct").asDouble() / 100
                    * cpu.path("seconds").asDouble() * 1e6 / deliveries));
        }
        String json = Measure.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out);
        String file = args.get("out", null);
        if (file != null) {
            Files.writeString(Path.of(file), json + "\n");
        }
        System.out.println(json);
        System.exit(0); // a stuck event loop must not keep the generator alive
    }
}
