package dev.improv.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Drives thousands of WebSockets from one process against one target and prints one JSON result.
 *
 * <pre>
 * java -jar improv-load.jar --target improv|bare|socketio --port 8080 [--admin-key KEY]
 *      --scenario fanout|signal|marks|idle|join [--rooms 1000 --period-ms 200 --warmup-s 5 --measure-s 20]
 *      [--connections 3000] [--server-pid PID] [--out result.json]
 * </pre>
 * Every phase has a time limit; the process ends by itself.
 */
public final class LoadGenerator {
    private LoadGenerator() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        ObjectNode result = run(args);
        String json = Measure.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result);
        String out = args.get("out", null);
        if (!args.unused().isEmpty()) {
            System.err.println("warning: flags not used by this scenario: " + args.unused());
        }
        if (out != null) {
            write(Path.of(out), json);
        }
        System.out.println(json);
        System.exit(0); // a stuck event loop must not keep the generator alive
    }

    private static void write(Path path, String json) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        Files.writeString(path, json + "\n");
    }

    /** Runs the scenario the flags name; also the entry point of the in-process smoke test. */
    static ObjectNode run(Args args) throws Exception {
        String target = args.get("target", "improv");
        String host = args.get("host", "127.0.0.1");
        int port = args.integer("port", 8080);
        String scenario = args.get("scenario", "fanout");
        long serverPid = args.number("server-pid", -1);
        int threads = args.integer("threads", 2);
        int localAddresses = args.integer("local-addresses", 8);
        String adminKey = args.get("admin-key", "load-admin-key");
        Dialect dialect = switch (target) {
            case "improv" -> new ImprovDialect(host, port, adminKey);
            case "bare" -> new BareDialect();
            case "socketio" -> new SocketIoDialect();
            default -> throw new IllegalArgumentException("unknown target " + target);
        };
        ObjectNode out = Measure.JSON.createObjectNode();
        out.put("target", args.get("label", target));
        out.put("scenario", scenario);
        out.put("case", args.get("case", scenario));
        out.put("startedAt", Instant.now().toString());
        out.put("generatorThreads", threads);
        Measure measure = new Measure(serverPid);
        int concurrency = args.integer("connect-concurrency", 500);
        long connectTimeoutMs = TimeUnit.SECONDS.toMillis(args.integer("connect-timeout-s", 60));
        try (WsClients clients = new WsClients(host, port, threads, localAddresses, dialect)) {
            switch (scenario) {
                case "fanout", "signal", "marks" -> {
                    FlowScenario.Flow flow = FlowScenario.Flow.valueOf(scenario.toUpperCase());
                    int rooms = args.integer("rooms", 100);
                    long period = args.number("period-ms", 200);
                    int bytes = args.integer("payload-bytes", flow == FlowScenario.Flow.SIGNAL ? 3000 : 200);
                    boolean recorder = !args.flag("no-recorder");
                    out.put("rooms", rooms);
                    out.put("periodMs", period);
                    out.put("payloadBytes", bytes);
                    out.put("recorder", recorder);
                    new FlowScenario(flow, dialect, rooms, period, args.number("warmup-s", 5) * 1000,
                            args.number("measure-s", 20) * 1000, args.number("drain-ms", 10000), bytes, recorder)
                            .run(clients, measure, concurrency, connectTimeoutMs, out);
                }
                case "join" -> new ConnectScenario(dialect, args.integer("connections", 3000), serverPid)
                        .join(clients, measure, args.integer("join-concurrency", 0), connectTimeoutMs,
                                args.integer("join-warmup", 2000), out);
                case "idle" -> new ConnectScenario(dialect, args.integer("connections", 19000), serverPid)
                        .idle(clients, measure, concurrency, connectTimeoutMs, args.number("hold-s", 10) * 1000, out);
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            }
        }
        return out;
    }
}
