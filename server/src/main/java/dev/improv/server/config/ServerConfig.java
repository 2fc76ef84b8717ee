package dev.improv.server.config;

import dev.improv.server.room.RoomLimits;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything the server is configured with, validated. Built by {@link ServerCommand} from flags and
 * environment variables, or directly by tests.
 *
 * @param publicUrl            base URL put into join links (what browsers reach)
 * @param tokens               join token keys and policy (issuer, audience, clock skew)
 * @param allowedOrigins       browser origins allowed to open WebSockets; empty = same origin as the Host header
 * @param maxMessageBytes      largest client message accepted; larger ones get an error, the connection stays
 * @param messagesPerSecond    sustained client messages per second per connection (token bucket refill)
 * @param messageBurst         bucket size: messages a client may send at once
 * @param joinTimeoutMs        a new connection must join a room (or complete an HTTP request) within this, or is closed
 * @param idleTimeoutMs        a connection that sends nothing (not even a pong) this long is closed
 * @param pingIntervalMs       the server pings a WebSocket that received nothing from us this long
 * @param writeBufferHighWater bytes queued for one slow connection before it is disconnected
 * @param linkTtlSeconds       default lifetime of join links
 * @param sessionLog           whether room events are written to session logs under the data directory
 * @param fsyncIntervalMs      for {@link FsyncPolicy#INTERVAL}
 * @param ice                  STUN/TURN servers handed to browsers
 * @param media                in-process media recording of rooms created with {@code recordMedia}
 * @param promptLibrary        the operator's prompt library file, or null for the built-in one
 * @param clients              what one connection, one address or one participant may make the server hold
 * @param admin                where the admin API and /metrics are served: on the main port, or a listener of
 *                             their own
 * @param webhooks             signed webhooks to the operator's endpoints, with their durable outbox
 * @param log                  segment size and backlog bound of the write-ahead log
 * @param cluster              the NATS JetStream cluster this node joins, or null for the one-node default
 * @param takes                local takes: the chunk upload API's limits and the stage's default consent text
 * @param qc                   thresholds of the live quality flags ({@code qc_flag} events)
 */
public record ServerConfig(String host, int port, String publicUrl, Path dataDir, String adminKey, TokenSettings tokens,
                           List<String> allowedOrigins, int maxMessageBytes, int messagesPerSecond, int messageBurst,
                           RoomLimits roomLimits, long joinTimeoutMs, long idleTimeoutMs, long pingIntervalMs,
                           int writeBufferHighWater, long linkTtlSeconds, boolean sessionLog, FsyncPolicy fsync,
                           long fsyncIntervalMs, String transport, int ioThreads, long shutdownGraceMs,
                           IceSettings ice, MediaSettings media, Path promptLibrary, ClientLimits clients,
                           AdminListener admin, WebhookSettings webhooks, LogSettings log,
                           ClusterSettings cluster, TakeSettings takes,
                           dev.improv.server.quality.QcThresholds qc) {
    public ServerConfig {
        allowedOrigins = List.copyOf(allowedOrigins);
        require(port >= 0 && port <= 65535, "port must be 0..65535");
        require(maxMessageBytes >= 1024, "max message bytes must be at least 1024");
        require(messagesPerSecond >= 1, "messages per second must be at least 1");
        require(messageBurst >= 1, "message burst must be at least 1");
        require(joinTimeoutMs >= 100, "join timeout must be at least 100 ms");
        require(idleTimeoutMs > pingIntervalMs, "idle timeout must be longer than the ping interval");
        require(pingIntervalMs >= 100, "ping interval must be at least 100 ms");
        require(writeBufferHighWater >= 4096, "write buffer high water must be at least 4096 bytes");
        require(linkTtlSeconds >= 1, "link TTL must be at least 1 second");
        require(List.of("auto", "epoll", "nio").contains(transport), "transport must be auto, epoll or nio");
        require(ioThreads >= 0, "io threads must not be negative");
        require(clients != null, "client limits are required");
        require(qc != null, "quality thresholds are required");
    }

    /**
     * Limits on what careless or hostile clients can make the server hold. A value of 0 turns a per-address or
     * per-participant limit off (benchmarks that open thousands of connections from one address).
     *
     * @param httpMaxPipelined           HTTP requests one connection may have waiting for their answers; more in
     *                                   one go and the connection is closed once the first ones are answered
     * @param httpRequestTimeoutMs       an HTTP request must arrive completely, and its answer be taken by the
     *                                   client, within this; bytes trickling in do not extend it
     * @param maxConnectionsPerAddress   open TCP connections from one IP address (0 = no limit)
     * @param upgradesPerSecondPerAddress WebSocket upgrades per second from one IP address, sustained (0 = no limit)
     * @param upgradeBurstPerAddress     WebSocket upgrades one address may make at once before the rate applies
     * @param reconnectsPerMinute        joins per minute by one participant (one token), sustained (0 = no limit)
     * @param reconnectBurst             joins one participant may make at once before the rate applies
     * @param trackedAddresses           addresses and participants whose rates are remembered (bounded cache,
     *                                   entries expire when idle)
     * @param protocolErrorLogsPerMinute log lines about clients' protocol errors per minute, server-wide (each
     *                                   connection logs at most one); the rest are only counted
     * @param httpInputBudgetBytes       bytes of HTTP input (unfinished requests, copied to the heap) all
     *                                   connections of a listener may make the server hold at once; -1 = an eighth
     *                                   of the heap, at most 64 MiB; 0 = no limit (and no copy)
     * @param wsInputBudgetBytes         bytes of unfinished WebSocket messages (copied to the heap) all sessions of
     *                                   the server may make it hold at once; over it, the sessions holding the most
     *                                   are closed with 1013; -1 = an eighth of the heap, at most 64 MiB; 0 = no
     *                                   limit (and no copy)
     * @param wsOutputBudgetBytes        bytes all WebSocket sessions together may have queued and not yet written
     *                                   (direct memory); over it, the sessions with the most queued are cut as slow
     *                                   consumers; -1 = half of the JVM's direct memory; 0 = no limit
     * @param wsReadBytesPerSecond       bytes per second the server reads from one WebSocket connection (a burst of
     *                                   four seconds' worth); over it, its reads pause until the rate has paid for
     *                                   them (TCP holds the sender back); 0 = no limit
     */
    public record ClientLimits(int httpMaxPipelined, long httpRequestTimeoutMs, int maxConnectionsPerAddress,
                               int upgradesPerSecondPerAddress, int upgradeBurstPerAddress, int reconnectsPerMinute,
                               int reconnectBurst, int trackedAddresses, int protocolErrorLogsPerMinute,
                               long httpInputBudgetBytes, long wsInputBudgetBytes, long wsOutputBudgetBytes,
                               long wsReadBytesPerSecond) {
        public ClientLimits {
            require(httpMaxPipelined >= 1 && httpMaxPipelined <= 1024, "HTTP max pipelined must be 1..1024");
            require(httpRequestTimeoutMs >= 100, "HTTP request timeout must be at least 100 ms");
            require(maxConnectionsPerAddress >= 0, "max connections per address must not be negative");
            require(upgradesPerSecondPerAddress >= 0, "upgrades per second per address must not be negative");
            require(upgradeBurstPerAddress >= 1, "upgrade burst per address must be at least 1");
            require(reconnectsPerMinute >= 0, "reconnects per minute must not be negative");
            require(reconnectBurst >= 1, "reconnect burst must be at least 1");
            require(trackedAddresses >= 1000, "tracked addresses must be at least 1000");
            require(protocolErrorLogsPerMinute >= 0, "protocol error logs per minute must not be negative");
            require(httpInputBudgetBytes == -1 || httpInputBudgetBytes == 0 || httpInputBudgetBytes >= 1 << 20,
                    "HTTP input budget must be -1 (auto), 0 (off) or at least 1 MiB");
            require(wsInputBudgetBytes == -1 || wsInputBudgetBytes == 0 || wsInputBudgetBytes >= 1 << 20,
                    "WebSocket input budget must be -1 (auto), 0 (off) or at least 1 MiB");
            require(wsOutputBudgetBytes == -1 || wsOutputBudgetBytes == 0 || wsOutputBudgetBytes >= 1 << 20,
                    "WebSocket output budget must be -1 (auto), 0 (off) or at least 1 MiB");
            require(wsReadBytesPerSecond == 0 || (wsReadBytesPerSecond >= 4096 && wsReadBytesPerSecond <= 1L << 29),
                    "WebSocket read bytes per second must be 0 (off) or 4096..536870912");
        }

        public static ClientLimits defaults() {
            return new ClientLimits(16, 10_000, 256, 20, 200, 30, 10, 100_000, 60, -1, -1, -1, 256 * 1024);
        }
    }

    /**
     * Join tokens (JWT, HS256). {@code keyFile} holds the rotation keys (see {@code auth.TokenKeys}); the generated
     * {@code defaultSecret} is the key {@code default} unless the file retires it.
     *
     * @param keyFile          JSON key file (kid -> secret, signing kid, retired kids), or null for none
     * @param issuer           the {@code iss} of the tokens this server mints
     * @param acceptedIssuers  issuers whose tokens are accepted (a studio backend minting its own), the own included
     * @param audience         the {@code aud} every token must name
     * @param clockSkewSeconds tolerance for {@code nbf} and {@code iat} in the future (another machine's clock)
     */
    public record TokenSettings(byte[] defaultSecret, Path keyFile, String issuer, List<String> acceptedIssuers,
                                String audience, long clockSkewSeconds) {
        public TokenSettings {
            acceptedIssuers = List.copyOf(acceptedIssuers);
            require(defaultSecret != null && defaultSecret.length >= 32, "the token secret must have at least 32 bytes");
            require(issuer != null && !issuer.isBlank(), "token issuer must not be empty");
            require(audience != null && !audience.isBlank(), "token audience must not be empty");
            require(clockSkewSeconds >= 0 && clockSkewSeconds <= 600, "token clock skew must be 0..600 s");
        }

        @Override
        public String toString() { // never the secret
            return "TokenSettings[keyFile=" + keyFile + ", issuer=" + issuer + ", acceptedIssuers=" + acceptedIssuers
                    + ", audience=" + audience + ", clockSkewSeconds=" + clockSkewSeconds + "]";
        }
    }

    /**
     * Webhooks: endpoints and secrets in an owner-only file; deliveries retried with exponential backoff
     * ({@code retryBaseMs} doubling up to {@code retryMaxMs}, with jitter) up to {@code maxAttempts} attempts.
     *
     * @param file       the endpoints file, or null for no webhooks
     * @param maxPending deliveries kept in the outbox at most; events beyond are dropped and counted
     * @param timeoutMs  connect and answer timeout of one attempt
     */
    public record WebhookSettings(Path file, long retryBaseMs, long retryMaxMs, int maxAttempts, int maxPending,
                                  long timeoutMs) {
        public WebhookSettings {
            require(retryBaseMs >= 10 && retryMaxMs >= retryBaseMs, "webhook retry base must be >= 10 ms and <= max");
            require(maxAttempts >= 1, "webhook max attempts must be at least 1");
            require(maxPending >= 1, "webhook max pending must be at least 1");
            require(timeoutMs >= 100, "webhook timeout must be at least 100 ms");
        }

        public static WebhookSettings none() {
            return new WebhookSettings(null, 1000, 300_000, 25, 100_000, 10_000);
        }
    }

    /**
     * ICE servers for browsers. TURN credentials are minted per participant with the shared-secret scheme
     * that coturn's {@code use-auth-secret} understands.
     *
     * @param relayOnly force {@code iceTransportPolicy: "relay"}: media always goes through TURN, which also
     *                  hides performers' addresses from each other
     */
    public record IceSettings(List<String> stunUrls, List<String> turnUrls, String turnSecret,
                              long turnCredentialTtlSeconds, boolean relayOnly) {
        public IceSettings {
            stunUrls = List.copyOf(stunUrls);
            turnUrls = List.copyOf(turnUrls);
            require(turnUrls.isEmpty() || (turnSecret != null && !turnSecret.isBlank()),
                    "TURN urls need a TURN secret");
            require(!relayOnly || !turnUrls.isEmpty(), "relay-only ICE needs TURN urls");
            require(turnCredentialTtlSeconds >= 60, "TURN credential TTL must be at least 60 s");
        }

        public static IceSettings none() {
            return new IceSettings(List.of(), List.of(), null, 3600, false);
        }
    }

    /**
     * @param enabled     rooms may ask for media recording
     * @param maxRooms    rooms recorded at once by this process; more are refused with a clear error
     * @param consentFrom {@code lobby}: only performers whose lobby consent is in the room's log are recorded;
     *                    {@code everyone}: consent was taken outside this server
     * @param videoFps    images per second stored of each performer's camera; 0 = audio only
     */
    public record MediaSettings(boolean enabled, int maxRooms, String consentFrom, double videoFps) {
        public MediaSettings {
            require(maxRooms >= 1, "media max rooms must be at least 1");
            require(videoFps >= 0 && videoFps <= 30, "media video fps must be 0..30");
            require(List.of("lobby", "everyone").contains(consentFrom), "media consent must be lobby or everyone");
        }

        public static MediaSettings off() {
            return new MediaSettings(false, 1, "lobby", 0);
        }
    }

    /**
     * The admin API's own listener.
     *
     * @param port -1: none, the admin API and /metrics are on the main port; 0: a free port; else that port
     * @param host the address it binds (loopback by default: only this machine reaches it)
     */
    public record AdminListener(String host, int port) {
        public AdminListener {
            require(port >= -1 && port <= 65535, "admin port must be -1 (none), 0 (any) or 1..65535");
        }

        public static AdminListener none() {
            return new AdminListener("127.0.0.1", -1);
        }

        public boolean separate() {
            return port >= 0;
        }
    }

    /**
     * @param segmentBytes a log segment file is closed and the next begun once it holds this many bytes
     * @param backlogBytes bytes accepted by the log and not yet durable beyond which rooms refuse client messages
     *                     with the retryable {@code LOG_BACKLOG} error
     */
    public record LogSettings(long segmentBytes, long backlogBytes, long checkpointBytes, long lingerMicros) {
        public LogSettings {
            require(segmentBytes >= 1 << 20, "log segment bytes must be at least 1 MiB");
            require(backlogBytes >= 1 << 20, "log backlog bytes must be at least 1 MiB");
            require(checkpointBytes >= 4096, "log checkpoint bytes must be at least 4096");
            require(lingerMicros >= 0 && lingerMicros <= 100_000, "log batch linger must be 0..100000 microseconds");
        }

        public LogSettings(long segmentBytes, long backlogBytes, long checkpointBytes) {
            this(segmentBytes, backlogBytes, checkpointBytes, 0);
        }

        public LogSettings(long segmentBytes, long backlogBytes) {
            this(segmentBytes, backlogBytes, 64L << 20);
        }

        public static LogSettings defaults() {
            return new LogSettings(64L << 20, 64L << 20);
        }
    }

    /**
     * Cluster mode (issue 16, docs/cluster.md): rooms owned through leases in a JetStream key-value bucket, their
     * logs in a replicated JetStream stream.
     *
     * @param natsUrls  the NATS servers to connect to ({@code nats://host:port}), any of them will do
     * @param leaseMs   a room's lease lasts this long unless its owner renews it (every third of it); another node
     *                  takes the room over once it has not been renewed for this long
     * @param replicas  JetStream replicas of the room stream and the lease bucket (3 in production, at most the
     *                  number of NATS servers)
     * @param nodeName  this node's name in leases and logs; unique per process (a restart is a new node)
     * @param poolSnapshotFacts pool facts stored (all pools of the node) between two rounds of pool snapshots;
     *                  after a snapshot the pool's older messages are purged from the stream
     */
    public record ClusterSettings(List<String> natsUrls, long leaseMs, int replicas, String nodeName,
                                  long poolSnapshotFacts) {
        public ClusterSettings {
            natsUrls = List.copyOf(natsUrls);
            require(!natsUrls.isEmpty(), "cluster needs at least one nats:// URL");
            for (String u : natsUrls) {
                require(u.startsWith("nats://") || u.startsWith("tls://"), "cluster URL must be nats:// or tls://: "
                        + u);
            }
            require(leaseMs >= 500 && leaseMs <= 60_000, "cluster lease must be 500..60000 ms");
            require(replicas >= 1 && replicas <= 5, "cluster replicas must be 1..5");
            require(nodeName != null && nodeName.matches("[A-Za-z0-9_-]{1,64}"),
                    "cluster node name must be 1-64 letters, digits, '-' or '_'");
            require(poolSnapshotFacts >= 1 && poolSnapshotFacts <= 1_000_000,
                    "cluster pool snapshot facts must be 1..1000000");
        }

        /** The settings with the default pool snapshot cadence ({@value #DEFAULT_POOL_SNAPSHOT_FACTS} facts). */
        public ClusterSettings(List<String> natsUrls, long leaseMs, int replicas, String nodeName) {
            this(natsUrls, leaseMs, replicas, nodeName, DEFAULT_POOL_SNAPSHOT_FACTS);
        }

        public static final long DEFAULT_POOL_SNAPSHOT_FACTS = 500;
    }

    /**
     * Local takes (docs/recording.md): what one chunk upload, one take and the whole server may hold on disk, and
     * the consent text rooms show on the stage unless they were created with their own.
     *
     * @param maxChunkBytes   one chunk's PCM body, at most the HTTP body limit (64 KiB)
     * @param maxTakeBytes    all chunks of one take (every performer's track together)
     * @param maxServerBytes  all chunks of all takes kept under the data directory
     * @param orderWindow     how far past the first chunk still missing a chunk index may be
     * @param uploadGraceMs   after its scene ended, how long a take waits for chunks still pending on the pages
     * @param consentVersion  the version of the default stage consent text
     * @param consentText     the default stage consent text
     * @param video           the pages also record their camera (MediaRecorder, WebM) next to the microphone
     * @param videoBitsPerSecond the bit rate a page asks its MediaRecorder for
     */
    public record TakeSettings(int maxChunkBytes, long maxTakeBytes, long maxServerBytes, int orderWindow,
                               long uploadGraceMs, int consentVersion, String consentText, boolean video,
                               int videoBitsPerSecond) {
        public TakeSettings {
            require(maxChunkBytes >= 1024 && maxChunkBytes <= 65536, "take chunk bytes must be 1024..65536");
            require(maxTakeBytes >= maxChunkBytes, "take quota must be at least one chunk");
            require(maxServerBytes >= maxTakeBytes, "server take quota must be at least one take quota");
            require(orderWindow >= 1 && orderWindow <= 100_000, "take order window must be 1..100000 chunks");
            require(uploadGraceMs >= 1000, "take upload grace must be at least 1000 ms");
            require(consentVersion >= 1, "consent version must be at least 1");
            require(consentText != null && !consentText.isBlank() && consentText.length() <= 20_000,
                    "consent text must be 1..20000 characters");
            require(videoBitsPerSecond >= 100_000 && videoBitsPerSecond <= 8_000_000,
                    "take video bit rate must be 100000..8000000 bits per second");
        }

        /** The built-in consent text, for servers whose operator gave none. */
        public static final String DEFAULT_CONSENT_TEXT = "Your voice and picture in this room are recorded and "
                + "may be sold by the studio as training data for AI models. You can stop at any time by leaving "
                + "the room; what was recorded until then is kept.";

        /** About 1 Mbit/s: a 640×480 camera at 30 fps in VP8, 7.5 MB a minute. */
        public static final int DEFAULT_VIDEO_BITS_PER_SECOND = 1_000_000;

        public static TakeSettings defaults() {
            return new TakeSettings(65536, 2L << 30, 20L << 30, 64, 600_000, 1, DEFAULT_CONSENT_TEXT, false,
                    DEFAULT_VIDEO_BITS_PER_SECOND);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The hard cap on one WebSocket frame (also for fragments reassembled): 4x the message limit. */
    public int maxFrameBytes() {
        return maxMessageBytes * 4;
    }

    /** A copy with another port and public URL, for tests that bind to port 0. */
    public ServerConfig withPublicUrl(String url) {
        return new ServerConfig(host, port, url, dataDir, adminKey, tokens, allowedOrigins, maxMessageBytes,
                messagesPerSecond, messageBurst, roomLimits, joinTimeoutMs, idleTimeoutMs, pingIntervalMs,
                writeBufferHighWater, linkTtlSeconds, sessionLog, fsync, fsyncIntervalMs, transport, ioThreads,
                shutdownGraceMs, ice, media, promptLibrary, clients, admin, webhooks, log, cluster, takes, qc);
    }
}
