package dev.improv.server.http;

import dev.improv.server.metrics.ScrapeRenderer;
import dev.improv.server.metrics.ServerMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * {@code /healthz} (anyone, every listener) and {@code /metrics} (Prometheus text; the operators' listener), rendered
 * off the I/O thread and shared by scrapes less than 100 ms apart ({@link ScrapeRenderer}).
 */
public final class ServerRoutes {
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerMetrics metrics;
    private final ScrapeRenderer scrapes;
    /** The node's cluster state for /healthz, or null outside cluster mode. */
    private final java.util.function.Supplier<AdminAnswers.ClusterHealth> cluster;

    public ServerRoutes(ServerMetrics metrics) {
        this(metrics, null);
    }

    public ServerRoutes(ServerMetrics metrics, java.util.function.Supplier<AdminAnswers.ClusterHealth> cluster) {
        this.metrics = metrics;
        this.scrapes = new ScrapeRenderer(metrics);
        this.cluster = cluster;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/healthz", Route.Access.PUBLIC, ex -> ex.json(HttpResponseStatus.OK,
                        new AdminAnswers.Health("ok", metrics.openRooms(), metrics.openConnections(),
                        cluster == null ? null : cluster.get())))
                        .documented(ApiDoc.of("Liveness: the process serves HTTP")
                                .answers(200, "ok, with the open rooms and connections (and in cluster mode the node's "
                                        + "cluster state)", AdminAnswers.Health.class)),
                Route.get("/metrics", Route.Access.OPERATOR, ex -> ex.reply(scrapes.scrape(),
                        text -> ex.bytes(HttpResponseStatus.OK, PROMETHEUS, text)))
                        .documented(ApiDoc.of("Prometheus metrics (docs/operations.md lists them)")
                                .answers(200, "the Prometheus text exposition", new ApiDoc.Text(PROMETHEUS))));
    }
}
