package dev.improv.server.app;

import dev.improv.server.auth.http.TokenRoutes;
import dev.improv.server.webhook.WebhookFeature;
import dev.improv.server.auth.IceServers;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.TokenService;
import dev.improv.server.cluster.ClusterNode;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.eventlog.WalStorage;
import dev.improv.server.http.AdminAuth;
import dev.improv.server.http.IceRoute;
import dev.improv.server.http.PoolRoutes;
import dev.improv.server.http.PromptLibrary;
import dev.improv.server.http.RoomRoutes;
import dev.improv.server.http.Route;
import dev.improv.server.http.RouteTable;
import dev.improv.server.http.ServerRoutes;
import dev.improv.server.http.StaticFiles;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.routing.LocalRouter;
import dev.improv.server.routing.Router;
import dev.improv.server.transport.ImprovServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds the server from its parts, in the order they depend on each other, and stops it
 * in the reverse order. The one place that knows every part; {@code transport} only moves bytes, and each feature
 * plugs in as a {@link Feature}.
 *
 * <pre>
 * config ─► metrics, tokens, links, clock
 *        ─► transport (event loops) ─► session log (the rooms' journal) ─► rooms ─► lobby pools ─► router
 *        ─► features: health+metrics, pages, rooms API, ICE, pools API, prompt library, session export, media
 *        ─► route tables (one per listener, admin middleware inside) ─► listeners
 * </pre>
 */
public final class ServerApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerApp.class);

    /** What the server is made of, for the entry point and for tests (e.g. to mint tokens). */
    public record Parts(ServerConfig config, ServerMetrics metrics, TokenService tokens, JoinLinks links,
                        Router router, MicrosClock clock) {
    }

    private final ServerConfig config;
    private final ImprovServer transport;
    /** Set once while building, before anything else runs. */
    private RoomRegistry rooms;
    private LobbyRegistry lobbies;
    private Parts parts;
    private AdminAuth admin;
    /** In building order; closed in reverse. */
    private final List<Feature> features = new ArrayList<>();
    private List<Route> routes = List.of();
    private volatile InetSocketAddress mainAddress;
    private volatile InetSocketAddress adminAddress;
    private volatile boolean stopped;
    /** True with the session log: a stop disconnects members instead of closing rooms. */
    private boolean keepRoomsOnStop;

    private ServerApp(ServerConfig config, WalStorage logStorage) {
        this.config = config;
        ServerMetrics metrics = new ServerMetrics();
        TokenService tokens = TokenService.load(config.tokens(), Clock.systemUTC()); // reads the key file
        PromptLibrary prompts = promptLibrary(config, tokens); // files first: a bad file fails before any thread
        StaticFiles pages = StaticFiles.load("web");
        this.transport = ImprovServer.open(config, metrics);
        try {
            build(config, metrics, tokens, prompts, pages, logStorage);
        } catch (RuntimeException | Error e) { // e.g. the log cannot be opened: no event loop may outlive this
            features.forEach(Feature::close);
            transport.close();
            throw e;
        }
    }

    private void build(ServerConfig config, ServerMetrics metrics, TokenService tokens, PromptLibrary prompts,
                       StaticFiles pages, WalStorage logStorage) {
        MicrosClock clock = MicrosClock.monotonic();
        SessionLogFeature log = config.sessionLog() ? new SessionLogFeature(config, metrics, logStorage) : null;
        if (log != null) {
            features.add(log);
        }
        SessionJournal journal = log == null ? SessionJournal.none() : log.journal();
        // cluster mode: rooms' logs go to the replicated stream (the node's log keeps the pools' facts)
        ClusterNode cluster = config.cluster() == null ? null
                : ClusterNode.connect(config.cluster(), metrics, config.log().backlogBytes());
        if (cluster != null) {
            // sessions it closes become files here, as on one node (docs/cluster.md)
            cluster.exportSessionsInto(new dev.improv.server.eventlog.SessionFiles(config.dataDir()),
                    config.fsync() != dev.improv.server.config.FsyncPolicy.OFF);
            features.add(new Feature() { // closed after the rooms were suspended: flushes, hands leases back
                @Override
                public List<Route> routes() {
                    return List.of();
                }

                @Override
                public void close() {
                    cluster.close(config.shutdownGraceMs());
                }
            });
            journal = cluster.journal();
        }
        // webhooks: the rooms' journal also feeds the durable outbox
        WebhookFeature webhooks = new WebhookFeature(config, metrics); // endpoints from the file and the admin API
        features.add(webhooks); // closed after the rooms: their last events are in its outbox by then
        journal = webhooks.journal(journal);
        // local takes: scenes open and close them, seen in the rooms' journal (docs/recording.md)
        TakeFeature takes = new TakeFeature(config, metrics);
        features.add(takes); // closed after the rooms
        journal = takes.journal(journal);
        this.rooms = new RoomRegistry(transport::nextLoop, transport.frames(), clock, metrics, journal,
                ServerCommand.serverVersion());
        // live quality: every room's events measured on its own thread, qc_flag events on a timer (quality/)
        rooms.tapEvents(new dev.improv.server.quality.LiveQuality(clock, config.qc()));
        if (cluster != null) {
            cluster.start(rooms, transport.frames());
        }
        JoinLinks links = new JoinLinks(tokens, config.publicUrl(), config.linkTtlSeconds(), Clock.systemUTC());
        LobbyThread lobbyThread = new LobbyThread(); // pools off the I/O loops; closed before the log
        features.add(lobbyThread);
        // cluster mode: pools' facts go to the pools' stream (any node can take a pool over), else the node's log
        LobbyJournal poolFacts = cluster != null ? cluster.poolJournal()
                : log == null ? LobbyJournal.NONE : log.lobbyJournal();
        this.lobbies = new LobbyRegistry(lobbyThread::executor, rooms, links, config.roomLimits(), clock,
                config.roomLimits().resumeWindowMs(), new LobbyWaitTimer(webhooks.lobbyJournal(poolFacts, clock),
                clock, metrics.registry()));
        if (log != null) {
            log.recover(rooms, lobbies); // rooms and pools the log kept, back under their ids before the port opens
        }
        if (cluster != null) {
            cluster.startPools(lobbies); // pools whose owner is gone can be taken over here from now on
        }
        takes.start(rooms, tokens);
        LobbyGauges.register(metrics.registry(), lobbies);
        keepRoomsOnStop = log != null || cluster != null;
        LocalRouter localRouter = new LocalRouter(rooms, lobbies);
        Router router = cluster == null ? localRouter : cluster.router(localRouter, rooms);
        this.parts = new Parts(config, metrics, tokens, links, router, clock);
        this.admin = new AdminAuth(config.adminKey());

        MediaFeature media = config.media().enabled()
                ? new MediaFeature(config, (roomId, sessionId, performer) -> rooms.hasConsent(roomId, performer.id()),
                this::loopbackBase)
                : null;
        features.add(Feature.ofRoutes(new ServerRoutes(metrics, cluster == null ? null : () -> {
            ClusterNode.Health h = cluster.health();
            return new dev.improv.server.http.AdminAnswers.ClusterHealth(h.node(), h.connected(), h.nodes(),
                    h.leasesHeld(), h.roomsPerNode());
        }).routes()));
        features.add(Feature.ofRoutes(pages.routes()));
        features.add(Feature.ofRoutes(new RoomRoutes(router, links, config.roomLimits(),
                media == null ? null : media.starter(), takes.roomConsent()).routes()));
        features.add(Feature.ofRoutes(new IceRoute(tokens, new IceServers(config.ice(), Clock.systemUTC()), router)
                .routes()));
        features.add(Feature.ofRoutes(new PoolRoutes(router, links, media != null).routes()));
        if (media != null) {
            lobbies.mediaRecording(media.lobbyRooms(links));
        }
        features.add(Feature.ofRoutes(prompts.routes(admin)));
        features.add(Feature.ofRoutes(new TokenRoutes(tokens, config.tokens()).routes()));
        ConsentFeature consent = new ConsentFeature(config.dataDir(), tokens, router, webhooks);
        features.add(consent); // consent texts, withdrawals (and consent.withdrawn webhooks)
        if (log != null) {
            log.exports().onFinished(j -> webhooks.exportFinished(new WebhookFeature.ExportDone(j.name(), j.id(),
                    j.state(), j.samples(), j.shards(), j.bytes(), j.manifestSha256(), j.error()),
                    System.currentTimeMillis()));
        }
        try { // facts a crash kept from the outbox: withdrawals past its cursor, exports never announced
            webhooks.catchUp(consent.all(), finishedExports(config.dataDir().resolve("exports")));
        } catch (IOException e) {
            throw new IllegalArgumentException("webhooks: cannot read the consent withdrawals: " + e.getMessage(), e);
        }
        features.add(Feature.ofRoutes(new dev.improv.server.http.PayRoutes(router, tokens).routes()));
        if (media != null) {
            features.add(media);
        }
    }

    /** The exports a finished run left under {@code dir} (their manifest is written last, then the folder renamed). */
    private static List<WebhookFeature.ExportDone> finishedExports(java.nio.file.Path dir) throws IOException {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.list(dir)) {
            return all.filter(p -> !p.getFileName().toString().contains(".partial-")
                            && java.nio.file.Files.isRegularFile(p.resolve("manifest.json")))
                    .map(p -> new WebhookFeature.ExportDone(p.getFileName().toString(), null, "done", null, null, null,
                            null, null))
                    .sorted(java.util.Comparator.comparing(WebhookFeature.ExportDone::name)).toList();
        }
    }

    private static PromptLibrary promptLibrary(ServerConfig config, TokenService tokens) {
        try {
            return PromptLibrary.load(tokens, config.promptLibrary());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the prompt library " + config.promptLibrary() + ": " + e,
                    e);
        }
    }

    /** Builds the server (with the session log when {@code config.sessionLog()}) and starts listening. */
    public static ServerApp start(ServerConfig config) throws InterruptedException {
        return start(config, null);
    }

    /**
     * Builds the server with the session log on {@code logStorage} instead of the data dir's files (tests that
     * make the disk fail on demand); {@code null} for the real files.
     */
    public static ServerApp start(ServerConfig config, WalStorage logStorage) throws InterruptedException {
        ServerApp app = new ServerApp(config, logStorage);
        try {
            app.listen();
        } catch (InterruptedException | RuntimeException e) {
            app.close();
            throw e;
        }
        return app;
    }

    private void listen() throws InterruptedException {
        List<Route> routes = new ArrayList<>();
        for (Feature f : features) {
            routes.addAll(f.routes());
        }
        routes.add(OpenApiRoute.of(routes)); // describes the routes above and itself
        this.routes = List.copyOf(routes);
        ServerConfig.AdminListener adminListener = config.admin();
        Predicate<Route> onMain = adminListener.separate() ? r -> r.access() == Route.Access.PUBLIC : r -> true;
        mainAddress = transport.listen(config.host(), config.port(), RouteTable.of(routes, onMain, admin),
                parts.tokens(), parts.router(), parts.clock());
        if (adminListener.separate()) {
            Predicate<Route> onAdmin = r -> r.access() != Route.Access.PUBLIC || r.pattern().equals("/healthz");
            adminAddress = transport.listenHttpOnly(adminListener.host(), adminListener.port(),
                    RouteTable.of(routes, onAdmin, admin));
        }
    }

    /** Where in-process clients (the media recorder) reach this server. */
    private String loopbackBase() {
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        return "ws://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** The main port (pages, WebSockets, and the admin API unless it has a listener of its own). */
    public int port() {
        return mainAddress.getPort();
    }

    /** The admin listener's port, or -1 when the admin API is on the main port. */
    public int adminPort() {
        InetSocketAddress a = adminAddress;
        return a == null ? -1 : a.getPort();
    }

    public Parts parts() {
        return parts;
    }

    /** Every route this server serves, on either listener (tests classify requests with it). */
    public List<Route> routes() {
        return routes;
    }

    public String transportName() {
        return transport.transportName();
    }

    /**
     * Graceful stop: no new connections; pools close; every room tells its members (close code 1001) and closes
     * its log; the features stop (the log flushes); then the event loops finish what is queued.
     */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        LOG.info("shutting down: closing rooms, then flushing");
        long grace = config.shutdownGraceMs();
        try {
            transport.stopListening();
            lobbies.closeAll();
            // With the log, rooms outlive a restart: members are disconnected, the sessions stay open in the log.
            boolean done = keepRoomsOnStop
                    ? rooms.suspendAll("the server is restarting; reconnect to resume", ErrorCode.SERVER_SHUTDOWN,
                            grace, TimeUnit.MILLISECONDS)
                    : rooms.closeAll("the server is shutting down", ErrorCode.SERVER_SHUTDOWN, grace,
                            TimeUnit.MILLISECONDS);
            if (!done) {
                LOG.warn("some rooms did not close within {} ms", grace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (int i = features.size() - 1; i >= 0; i--) {
                try {
                    features.get(i).close();
                } catch (RuntimeException e) {
                    LOG.error("a feature failed to stop", e);
                }
            }
            transport.close();
        }
    }
}
