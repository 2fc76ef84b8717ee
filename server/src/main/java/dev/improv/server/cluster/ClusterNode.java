package dev.improv.server.cluster;

import dev.improv.server.config.ServerConfig;
import dev.improv.server.match.LobbyJournal;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.FrameFactory;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.routing.LocalRouter;
import dev.improv.server.routing.Router;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of the cluster: one NATS connection (JetStream, the lease bucket, the room stream), the
 * nodes heard from (heartbeats every {@link #HEARTBEAT_MS}), and the parts built on it — {@link StreamJournal},
 * {@link PoolStream}, {@link RoomLeases}, {@link Relay}, {@link ClusterRouter}. Built by the composition root before the rooms;
 * {@link #close} hands this node's rooms and pools over (their leases are handed back, so another node takes them
 * at once).
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    /** The one stream holding every room's log, one subject per room. */
    static final String STREAM = "IMPROV_ROOMS";
    static final String ROOM_SUBJECTS = "improv.room.";
    static final String LEASE_BUCKET = "improv_leases";
    static final String HEARTBEATS = "improv.heartbeat";
    static final long HEARTBEAT_MS = 500;
    /** A node not heard from for this long is taken for gone: members relayed to it are told to reconnect. */
    static final long NODE_GONE_MS = 2_000;
    /** Largest message JetStream takes by default (1 MiB); a log batch stays below it. */
    static final int MAX_BATCH_BYTES = 512 * 1024;
    /** How long a start waits for JetStream that is reachable but not answering yet. */
    static final long SETUP_PATIENCE_MS = 30_000;

    private final ServerConfig.ClusterSettings settings;
    private final Connection nats;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final KeyValue leasesBucket;
    private final ClusterMetrics metrics;
    /** One thread for lease calls, takeovers and heartbeats: blocking NATS calls are fine here, nowhere else. */
    private final ScheduledExecutorService leaseThread;
    /** Heartbeats on a thread of their own: a lease call waiting on JetStream must not make this node look dead. */
    private final ScheduledExecutorService heartbeatThread;
    private final Dispatcher dispatcher;
    /** Node name → System.nanoTime() of its last heartbeat; written by the jnats dispatcher, read by any. */
    private final Map<String, Long> heardFrom = new ConcurrentHashMap<>();
    private final StreamJournal journal;
    private final PoolStream pools;
    private final SessionStreamExport sessionExport;
    private volatile RoomLeases leases;
    private volatile Relay relay;
    private volatile PoolRooms poolRooms;
    private volatile boolean closed;

    private ClusterNode(ServerConfig.ClusterSettings settings, ServerMetrics metrics, long backlogBytes)
            throws IOException, InterruptedException, JetStreamApiException {
        this.settings = settings;
        this.metrics = new ClusterMetrics(metrics.registry(), this);
        Options options = Options.builder().servers(settings.natsUrls().toArray(String[]::new))
                .connectionName("improv-" + settings.nodeName()).connectionTimeout(Duration.ofSeconds(5))
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(250))
                // jnats fails a request (a JetStream append) past its 2 s timeout only when its cleanup timer next
                // runs, every 5 s by default: with every NATS server gone, moderators heard of LOG_UNAVAILABLE
                // 6.5-8.9 s after the first unacknowledged event. A scan of the outstanding requests is cheap.
                .requestCleanupInterval(Duration.ofMillis(250))
                .connectionListener((conn, event) -> LOG.info("cluster: NATS {}", event))
                .errorListener(new io.nats.client.ErrorListener() {
                }).build();
        this.nats = Nats.connect(options);
        try {
            this.jsm = nats.jetStreamManagement();
            this.js = nats.jetStream();
            this.leasesBucket = setUp();
            makeContexts();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            nats.close();
            throw e;
        }
        this.leaseThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-leases");
            t.setDaemon(true);
            return t;
        });
        this.heartbeatThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-heartbeat");
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = nats.createDispatcher();
        dispatcher.subscribe(HEARTBEATS, m -> {
            String node = new String(m.getData(), StandardCharsets.US_ASCII);
            heardFrom.put(node, System.nanoTime());
        });
        this.journal = new StreamJournal(this, backlogBytes, this.metrics);
        this.pools = new PoolStream(this);
        this.sessionExport = new SessionStreamExport(this);
    }

    /**
     * Where this node writes the sessions it closes (and those it finds closed when it takes a lease): the data
     * dir's sessions folder, forced when {@code sync}. Before the port opens.
     */
    public void exportSessionsInto(dev.improv.server.eventlog.SessionFiles files, boolean sync) {
        sessionExport.into(files, sync);
    }

    SessionStreamExport sessionExport() {
        return sessionExport;
    }

    /**
     * Joins the cluster: connects to NATS, makes sure the room stream and the lease bucket exist (with the
     * configured replicas). Fails with {@link ClusterUnavailableException} naming the servers and the cause.
     */
    public static ClusterNode connect(ServerConfig.ClusterSettings settings, ServerMetrics metrics, long backlogBytes) {
        try {
            return new ClusterNode(settings, metrics, backlogBytes);
        } catch (IOException e) {
            throw new ClusterUnavailableException("cannot reach NATS at " + String.join(",", settings.natsUrls())
                    + ": " + e.getMessage(), e);
        } catch (JetStreamApiException e) {
            throw new ClusterUnavailableException("NATS at " + String.join(",", settings.natsUrls())
                    + " refused the room stream or lease bucket (is JetStream on, with " + settings.replicas()
                    + " servers for " + settings.replicas() + " replicas?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted while joining the cluster", e);
        }
    }

    /**
     * Makes sure the stream and the bucket exist. JetStream that does not answer in time (electing its leaders
     * after a NATS server restarted) is asked again for up to {@link #SETUP_PATIENCE_MS}; a refusal is final.
     */
    private KeyValue setUp() throws IOException, JetStreamApiException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETUP_PATIENCE_MS);
        for (;;) {
            try {
                ensureStream();
                return ensureBucket();
            } catch (IOException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                LOG.warn("cluster: JetStream not answering yet ({}); asking again", e.getMessage());
                Thread.sleep(500);
            }
        }
    }

    private void ensureStream() throws IOException, JetStreamApiException {
        ensureStream(STREAM, ROOM_SUBJECTS);
        ensureStream(PoolStream.STREAM, PoolStream.SUBJECTS);
    }

    private void ensureStream(String name, String subjectPrefix) throws IOException, JetStreamApiException {
        StreamConfiguration config = StreamConfiguration.builder().name(name).subjects(subjectPrefix + "*")
                .storageType(StorageType.File).replicas(settings.replicas()).duplicateWindow(Duration.ofMinutes(2))
                .maxMsgSize(MAX_BATCH_BYTES * 2L).build();
        try {
            jsm.addStream(config);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != 10058) { // 10058: exists with another configuration; use it as it is
                throw e;
            }
            LOG.warn("cluster: stream {} exists with another configuration; using it as it is", name);
        }
    }

    private KeyValue ensureBucket() throws IOException, JetStreamApiException {
        try {
            nats.keyValueManagement().create(KeyValueConfiguration.builder().name(LEASE_BUCKET).maxHistoryPerKey(1)
                    .storageType(StorageType.File).replicas(settings.replicas()).build());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != 10058) {
                throw e;
            }
        }
        return nats.keyValue(LEASE_BUCKET);
    }

    /** The rooms' journal (a JetStream stream). Build the rooms on it, then call {@link #start}. */
    public StreamJournal journal() {
        return journal;
    }

    /**
     * Starts owning rooms: the lease watcher and renewals, takeovers of rooms whose owner is gone, the relay
     * for members of rooms owned elsewhere, heartbeats. Before the port opens.
     */
    public void start(RoomRegistry rooms, FrameFactory frames) {
        this.relay = new Relay(this, frames);
        this.leases = new RoomLeases(this, rooms, journal, relay);
        this.poolRooms = new PoolRooms(this, rooms, leases, relay);
        leases.start();
        heartbeatThread.scheduleAtFixedRate(this::heartbeat, 0, HEARTBEAT_MS, TimeUnit.MILLISECONDS);
        LOG.info("cluster: node {} joined through {} (lease {} ms, {} replicas)", settings.nodeName(),
                String.join(",", settings.natsUrls()), settings.leaseMs(), settings.replicas());
    }

    /** Where lobby pools write their facts in cluster mode (the pools' stream). Build the pools on it. */
    public LobbyJournal poolJournal() {
        return pools;
    }

    /**
     * This node's pools are built (and any the node's own log kept are restored): from now on pools whose owner is
     * gone can be taken over here. Before the port opens.
     */
    public void startPools(LobbyRegistry lobbies) {
        pools.start(lobbies);
        poolRooms.start(lobbies); // their rooms open on any node, their times come back here (docs/cluster.md)
    }

    PoolStream pools() {
        return pools;
    }

    PoolRooms poolRooms() {
        return poolRooms;
    }

    /** The cluster's router around this node's {@code local} one. */
    public Router router(LocalRouter local, RoomRegistry rooms) {
        return new ClusterRouter(this, local, rooms, leases, relay, pools, poolRooms);
    }

    private void heartbeat() {
        try {
            nats.publish(HEARTBEATS, settings.nodeName().getBytes(StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            LOG.debug("cluster: heartbeat not sent", e);
        }
    }

    String name() {
        return settings.nodeName();
    }

    ServerConfig.ClusterSettings settings() {
        return settings;
    }

    Connection nats() {
        return nats;
    }

    JetStream js() {
        return js;
    }

    JetStreamManagement jsm() {
        return jsm;
    }

    /**
     * JetStream contexts whose requests give up after {@code timeout} instead of the connection's 5 s; one of
     * {@link #REQUEST_TIMEOUTS}. A takeover reads the room's subject while JetStream may still be electing the
     * leader that a dead NATS server held: a request sent then gets no answer and waits its whole timeout, although
     * the next one, sent a moment after the election, is answered in milliseconds. Made when the node joins:
     * making a key-value handle asks JetStream about its stream, which is what fails during an election.
     */
    Contexts withTimeout(Duration timeout) {
        Contexts c = contexts.get(timeout);
        if (c == null) {
            throw new IllegalArgumentException("no JetStream contexts for a " + timeout + " timeout");
        }
        return c;
    }

    /** The request timeouts a takeover uses (see {@link #withTimeout}). */
    static final List<Duration> REQUEST_TIMEOUTS = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(5));

    record Contexts(JetStream js, JetStreamManagement jsm, KeyValue leases) {
    }

    private final Map<Duration, Contexts> contexts = new java.util.HashMap<>();

    private void makeContexts() throws IOException {
        for (Duration timeout : REQUEST_TIMEOUTS) {
            io.nats.client.JetStreamOptions options = io.nats.client.JetStreamOptions.builder()
                    .requestTimeout(timeout).build();
            contexts.put(timeout, new Contexts(nats.jetStream(options), nats.jetStreamManagement(options),
                    nats.keyValue(LEASE_BUCKET, io.nats.client.KeyValueOptions.builder().jetStreamOptions(options)
                            .build())));
        }
    }

    KeyValue leaseBucket() {
        return leasesBucket;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    ScheduledExecutorService leaseThread() {
        return leaseThread;
    }

    ClusterMetrics metrics() {
        return metrics;
    }

    RoomLeases leases() {
        return leases;
    }

    /** Whether {@code node} is this one or was heard from within {@link #NODE_GONE_MS}. Any thread. */
    boolean alive(String node) {
        if (node.equals(settings.nodeName())) {
            return true;
        }
        Long heard = heardFrom.get(node);
        return heard != null && System.nanoTime() - heard < TimeUnit.MILLISECONDS.toNanos(NODE_GONE_MS);
    }

    /** The nodes alive now, this one included. */
    List<String> nodes() {
        java.util.List<String> out = new java.util.ArrayList<>();
        out.add(settings.nodeName());
        for (String n : heardFrom.keySet()) {
            if (!n.equals(settings.nodeName()) && alive(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Whether the NATS connection is up now. */
    public boolean connected() {
        return nats.getStatus() == Connection.Status.CONNECTED;
    }

    /** For /healthz: this node's name, whether it is connected, the nodes alive, the leases it holds. */
    public Health health() {
        RoomLeases l = leases;
        return new Health(settings.nodeName(), connected(), nodes().size(), l == null ? 0 : l.held(),
                l == null ? Map.of() : new java.util.TreeMap<>(l.roomsPerNode()));
    }

    /** What /healthz says about the cluster. */
    public record Health(String node, boolean connected, int nodes, int leasesHeld, Map<String, Integer> roomsPerNode) {
    }

    /** A StreamJournal session found it cannot append: another node owns the room now. */
    void fenced(String roomId) {
        RoomLeases l = leases;
        if (l != null) {
            l.lost(roomId, "its log was appended to by another node");
        }
    }

    /**
     * Shutdown, after the rooms were suspended: flushes the room logs (up to {@code graceMs}), deletes this
     * node's leases so that other nodes take its rooms over at once, and leaves NATS.
     */
    public void close(long graceMs) {
        if (closed) {
            return;
        }
        closed = true;
        journal.flush(graceMs);
        pools.flush(graceMs);
        sessionExport.close(); // an export not done is the next lease holder's: its lease is handed back below
        RoomLeases l = leases;
        if (l != null) {
            l.releaseAll(graceMs);
        }
        leaseThread.shutdownNow();
        heartbeatThread.shutdownNow();
        journal.close();
        pools.close();
        PoolRooms p = poolRooms;
        if (p != null) {
            p.close();
        }
        try {
            nats.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(3_000);
    }
}
