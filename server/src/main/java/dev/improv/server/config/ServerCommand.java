package dev.improv.server.config;

import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The server's command line. Every flag has an environment equivalent (shown by {@code --help}); a flag wins
 * over its variable, the variable over the default.
 */
@Command(name = "improv-server", mixinStandardHelpOptions = true, versionProvider = ServerCommand.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = "Real-time improv room server: rooms, signed join links, WebRTC signalling, live prompts.")
public class ServerCommand {
    @Option(names = "--host", defaultValue = "${env:IMPROV_HOST:-0.0.0.0}",
            description = "Address to listen on (env IMPROV_HOST).")
    String host;

    @Option(names = "--port", defaultValue = "${env:IMPROV_PORT:-8080}",
            description = "Port for HTTP and WebSocket; 0 picks a free one (env IMPROV_PORT).")
    int port;

    @Option(names = "--public-url", defaultValue = "${env:IMPROV_PUBLIC_URL}",
            description = "Base URL in join links; default http://localhost:<port> (env IMPROV_PUBLIC_URL).")
    String publicUrl;

    @Option(names = "--data-dir", defaultValue = "${env:IMPROV_DATA_DIR:-./data}",
            description = "Secrets and session logs live here (env IMPROV_DATA_DIR).")
    Path dataDir;

    @Option(names = "--admin-port", defaultValue = "${env:IMPROV_ADMIN_PORT:--1}",
            description = "Serve the admin API and /metrics on a listener of their own at this port (0 = any free "
                    + "one) instead of the main port; -1 = on the main port (env IMPROV_ADMIN_PORT).")
    int adminPort;

    @Option(names = "--admin-host", defaultValue = "${env:IMPROV_ADMIN_HOST:-127.0.0.1}",
            description = "Address of the admin listener; loopback by default, so only this machine reaches it "
                    + "(env IMPROV_ADMIN_HOST).")
    String adminHost;

    @Option(names = "--admin-key", defaultValue = "${env:IMPROV_ADMIN_KEY}",
            description = "Key for the admin API; prefer --admin-key-file (a flag is visible to every local user in "
                    + "the process list); default: generated once and kept in <data-dir>/admin-key "
                    + "(env IMPROV_ADMIN_KEY).")
    String adminKey;

    @Option(names = "--token-keys", defaultValue = "${env:IMPROV_TOKEN_KEYS}",
            description = "JSON file of join token keys for rotation: {\"signing\":kid,\"keys\":{kid:secret},"
                    + "\"retired\":[kid]}, mode 600; default <data-dir>/token-keys.json when it exists "
                    + "(env IMPROV_TOKEN_KEYS).")
    Path tokenKeys;

    @Option(names = "--token-issuer", defaultValue = "${env:IMPROV_TOKEN_ISSUER:-improv-server}",
            description = "The 'iss' of join tokens this server mints (env IMPROV_TOKEN_ISSUER).")
    String tokenIssuer;

    @Option(names = "--token-accepted-issuers", split = ",", defaultValue = "${env:IMPROV_TOKEN_ACCEPTED_ISSUERS:-}",
            description = "More 'iss' values accepted, comma separated, e.g. a studio backend that mints links "
                    + "(env IMPROV_TOKEN_ACCEPTED_ISSUERS).")
    List<String> tokenAcceptedIssuers;

    @Option(names = "--token-audience", defaultValue = "${env:IMPROV_TOKEN_AUDIENCE:-improv}",
            description = "The 'aud' every join token must name (env IMPROV_TOKEN_AUDIENCE).")
    String tokenAudience;

    @Option(names = "--token-clock-skew-seconds", defaultValue = "${env:IMPROV_TOKEN_CLOCK_SKEW_SECONDS:-60}",
            description = "Tolerance for a token's 'nbf'/'iat' in the future (env IMPROV_TOKEN_CLOCK_SKEW_SECONDS).")
    long tokenClockSkewSeconds;

    @Option(names = "--admin-key-file", defaultValue = "${env:IMPROV_ADMIN_KEY_FILE}",
            description = "File holding the admin API key (at least 16 characters) (env IMPROV_ADMIN_KEY_FILE).")
    Path adminKeyFile;

    @Option(names = "--token-secret-file", defaultValue = "${env:IMPROV_TOKEN_SECRET_FILE}",
            description = "File holding the join-token HMAC secret, base64 of at least 16 bytes; default: generated "
                    + "once and kept in <data-dir>/token-secret (env IMPROV_TOKEN_SECRET_FILE).")
    Path tokenSecretFile;

    @Option(names = "--allowed-origins", split = ",", defaultValue = "${env:IMPROV_ALLOWED_ORIGINS:-}",
            description = "Browser origins allowed to open WebSockets, comma separated; empty = the server's own "
                    + "origin only (env IMPROV_ALLOWED_ORIGINS).")
    List<String> allowedOrigins;

    @Option(names = "--max-message-bytes", defaultValue = "${env:IMPROV_MAX_MESSAGE_BYTES:-65536}",
            description = "Largest client message; larger ones are refused with an error (env IMPROV_MAX_MESSAGE_BYTES).")
    int maxMessageBytes;

    @Option(names = "--max-messages-per-second", defaultValue = "${env:IMPROV_MAX_MESSAGES_PER_SECOND:-50}",
            description = "Sustained client messages per second per connection (env IMPROV_MAX_MESSAGES_PER_SECOND).")
    int messagesPerSecond;

    @Option(names = "--message-burst", defaultValue = "${env:IMPROV_MESSAGE_BURST:-100}",
            description = "Messages a connection may send at once before the rate applies (env IMPROV_MESSAGE_BURST).")
    int messageBurst;

    @Option(names = "--max-members-per-room", defaultValue = "${env:IMPROV_MAX_MEMBERS_PER_ROOM:-16}",
            description = "Members per room, all roles (env IMPROV_MAX_MEMBERS_PER_ROOM).")
    int maxMembers;

    @Option(names = "--max-performers", defaultValue = "${env:IMPROV_MAX_PERFORMERS:-8}",
            description = "Performers per room (env IMPROV_MAX_PERFORMERS).")
    int maxPerformers;

    @Option(names = "--max-moderators", defaultValue = "${env:IMPROV_MAX_MODERATORS:-4}",
            description = "Moderators per room (env IMPROV_MAX_MODERATORS).")
    int maxModerators;

    @Option(names = "--max-recorders", defaultValue = "${env:IMPROV_MAX_RECORDERS:-4}",
            description = "Recorders per room (env IMPROV_MAX_RECORDERS).")
    int maxRecorders;

    @Option(names = "--max-observers", defaultValue = "${env:IMPROV_MAX_OBSERVERS:-8}",
            description = "Observers per room (env IMPROV_MAX_OBSERVERS).")
    int maxObservers;

    @Option(names = "--resume-window-ms", defaultValue = "${env:IMPROV_RESUME_WINDOW_MS:-30000}",
            description = "How long a dropped participant keeps identity and slot (env IMPROV_RESUME_WINDOW_MS).")
    long resumeWindowMs;

    @Option(names = "--history-events", defaultValue = "${env:IMPROV_HISTORY_EVENTS:-4096}",
            description = "Room events kept in memory per room for resume (env IMPROV_HISTORY_EVENTS).")
    int historyEvents;

    @Option(names = "--history-bytes", defaultValue = "${env:IMPROV_HISTORY_BYTES:-1048576}",
            description = "Bytes of room events kept in memory per room for resume; older events are read back from "
                    + "the session log (env IMPROV_HISTORY_BYTES).")
    long historyBytes;

    @Option(names = "--catch-up-stall-ms", defaultValue = "${env:IMPROV_CATCH_UP_STALL_MS:-15000}",
            description = "A member catching up (replay) whose connection takes no bytes for this long is cut as a "
                    + "slow consumer (env IMPROV_CATCH_UP_STALL_MS).")
    long catchUpStallMs;

    @Option(names = "--client-clock-window-seconds", defaultValue = "${env:IMPROV_CLIENT_CLOCK_WINDOW_SECONDS:-600}",
            description = "A performer's mark, put on the server's timeline with the performer's clock offset, must be "
                    + "within this of the server's time, or it is refused naming clientTs "
                    + "(env IMPROV_CLIENT_CLOCK_WINDOW_SECONDS).")
    long clientClockWindowSeconds;

    @Option(names = "--join-timeout-ms", defaultValue = "${env:IMPROV_JOIN_TIMEOUT_MS:-10000}",
            description = "A new connection must join a room or complete an HTTP request within this, else it is closed "
                    + "(env IMPROV_JOIN_TIMEOUT_MS).")
    long joinTimeoutMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "${env:IMPROV_IDLE_TIMEOUT_MS:-60000}",
            description = "A WebSocket whose client answered none of the server's pings (and sent nothing else) for "
                    + "this long is closed (env IMPROV_IDLE_TIMEOUT_MS).")
    long idleTimeoutMs;

    @Option(names = "--ping-interval-ms", defaultValue = "${env:IMPROV_PING_INTERVAL_MS:-20000}",
            description = "The server pings every WebSocket this often, whatever else it sends "
                    + "(env IMPROV_PING_INTERVAL_MS).")
    long pingIntervalMs;

    @Option(names = "--http-max-pipelined", defaultValue = "${env:IMPROV_HTTP_MAX_PIPELINED:-16}",
            description = "HTTP requests one connection may have waiting for answers; more in one go closes it "
                    + "(env IMPROV_HTTP_MAX_PIPELINED).")
    int httpMaxPipelined;

    @Option(names = "--http-request-timeout-ms", defaultValue = "${env:IMPROV_HTTP_REQUEST_TIMEOUT_MS:-10000}",
            description = "An HTTP request must arrive whole, and its answer be read, within this; a trickle does not "
                    + "extend it; also the keep-alive idle time (env IMPROV_HTTP_REQUEST_TIMEOUT_MS).")
    long httpRequestTimeoutMs;

    @Option(names = "--max-connections-per-address", defaultValue = "${env:IMPROV_MAX_CONNECTIONS_PER_ADDRESS:-256}",
            description = "Open connections from one IP address; 0 = no limit (env IMPROV_MAX_CONNECTIONS_PER_ADDRESS).")
    int maxConnectionsPerAddress;

    @Option(names = "--upgrades-per-second-per-address",
            defaultValue = "${env:IMPROV_UPGRADES_PER_SECOND_PER_ADDRESS:-20}",
            description = "WebSocket upgrades per second from one IP address; 0 = no limit "
                    + "(env IMPROV_UPGRADES_PER_SECOND_PER_ADDRESS).")
    int upgradesPerSecondPerAddress;

    @Option(names = "--upgrade-burst-per-address", defaultValue = "${env:IMPROV_UPGRADE_BURST_PER_ADDRESS:-200}",
            description = "WebSocket upgrades one address may make at once before the rate applies "
                    + "(env IMPROV_UPGRADE_BURST_PER_ADDRESS).")
    int upgradeBurstPerAddress;

    @Option(names = "--reconnects-per-minute", defaultValue = "${env:IMPROV_RECONNECTS_PER_MINUTE:-30}",
            description = "Joins per minute by one participant (one link); 0 = no limit "
                    + "(env IMPROV_RECONNECTS_PER_MINUTE).")
    int reconnectsPerMinute;

    @Option(names = "--reconnect-burst", defaultValue = "${env:IMPROV_RECONNECT_BURST:-10}",
            description = "Joins one participant may make at once before the reconnect rate applies "
                    + "(env IMPROV_RECONNECT_BURST).")
    int reconnectBurst;

    @Option(names = "--tracked-addresses", defaultValue = "${env:IMPROV_TRACKED_ADDRESSES:-100000}",
            description = "Addresses and participants whose rates are remembered (bounded, idle entries expire) "
                    + "(env IMPROV_TRACKED_ADDRESSES).")
    int trackedAddresses;

    @Option(names = "--protocol-error-logs-per-minute",
            defaultValue = "${env:IMPROV_PROTOCOL_ERROR_LOGS_PER_MINUTE:-60}",
            description = "Log lines about clients' protocol errors per minute, server-wide, one per connection at "
                    + "most; the rest are counted only (env IMPROV_PROTOCOL_ERROR_LOGS_PER_MINUTE).")
    int protocolErrorLogsPerMinute;

    @Option(names = "--http-input-budget-bytes", defaultValue = "${env:IMPROV_HTTP_INPUT_BUDGET_BYTES:--1}",
            description = "Bytes of unfinished HTTP requests all connections of a listener may make the server hold "
                    + "(copied to the heap, never in direct memory); over it, the connections holding more than a "
                    + "request head are closed. -1: an eighth of the heap, at most 64 MiB; 0: no limit "
                    + "(env IMPROV_HTTP_INPUT_BUDGET_BYTES).")
    long httpInputBudgetBytes;

    @Option(names = "--ws-input-budget-bytes", defaultValue = "${env:IMPROV_WS_INPUT_BUDGET_BYTES:--1}",
            description = "Bytes of unfinished WebSocket messages all sessions together may make the server hold "
                    + "(copied to the heap, never in direct memory); over it, the sessions holding the most are "
                    + "closed with 1013. -1: an eighth of the heap, at most 64 MiB; 0: no limit "
                    + "(env IMPROV_WS_INPUT_BUDGET_BYTES).")
    long wsInputBudgetBytes;

    @Option(names = "--ws-output-budget-bytes", defaultValue = "${env:IMPROV_WS_OUTPUT_BUDGET_BYTES:--1}",
            description = "Bytes all WebSocket sessions together may have queued and not yet written (direct "
                    + "memory); over it, the sessions with the most queued are cut as slow consumers. -1: half of "
                    + "the JVM's direct memory; 0: no limit (env IMPROV_WS_OUTPUT_BUDGET_BYTES).")
    long wsOutputBudgetBytes;

    @Option(names = "--ws-read-bytes-per-second", defaultValue = "${env:IMPROV_WS_READ_BYTES_PER_SECOND:-262144}",
            description = "Bytes per second the server reads from one WebSocket connection (a burst of four seconds' "
                    + "worth); over it, the connection's reads pause until the rate has paid for them, so TCP holds "
                    + "the sender back. 0: no limit (env IMPROV_WS_READ_BYTES_PER_SECOND).")
    long wsReadBytesPerSecond;

    @Option(names = "--write-buffer-high-water", defaultValue = "${env:IMPROV_WRITE_BUFFER_HIGH_WATER:-1048576}",
            description = "Bytes queued for one connection before it is cut off as a slow consumer "
                    + "(env IMPROV_WRITE_BUFFER_HIGH_WATER).")
    int writeBufferHighWater;

    @Option(names = "--link-ttl-seconds", defaultValue = "${env:IMPROV_LINK_TTL_SECONDS:-86400}",
            description = "Default lifetime of join links (env IMPROV_LINK_TTL_SECONDS).")
    long linkTtlSeconds;

    @Option(names = "--session-log", negatable = true, defaultValue = "${env:IMPROV_SESSION_LOG:-true}",
            fallbackValue = "true", description = "Write every room event to a session log (env IMPROV_SESSION_LOG).")
    boolean sessionLog;

    @Option(names = "--fsync", defaultValue = "${env:IMPROV_FSYNC:-BATCH}",
            description = "Session log fsync policy: BATCH (ack after fsync), INTERVAL, OFF (env IMPROV_FSYNC).")
    FsyncPolicy fsync;

    @Option(names = "--fsync-interval-ms", defaultValue = "${env:IMPROV_FSYNC_INTERVAL_MS:-50}",
            description = "fsync interval for --fsync INTERVAL (env IMPROV_FSYNC_INTERVAL_MS).")
    long fsyncIntervalMs;

    @Option(names = "--log-segment-bytes", defaultValue = "${env:IMPROV_LOG_SEGMENT_BYTES:-67108864}",
            description = "Size at which a write-ahead log segment is closed and the next begun, at least 1 MiB "
                    + "(env IMPROV_LOG_SEGMENT_BYTES).")
    long logSegmentBytes;

    @Option(names = "--log-backlog-bytes", defaultValue = "${env:IMPROV_LOG_BACKLOG_BYTES:-67108864}",
            description = "Bytes accepted by the log and not yet durable beyond which client messages are refused "
                    + "with the retryable LOG_BACKLOG error, at least 1 MiB (env IMPROV_LOG_BACKLOG_BYTES).")
    long logBacklogBytes;

    @Option(names = "--log-checkpoint-bytes", defaultValue = "${env:IMPROV_LOG_CHECKPOINT_BYTES:-67108864}",
            description = "Log bytes after the last checkpoint at which the next is written; a start reads the "
                    + "checkpoint and scans only the log after it. At least 4096 (env IMPROV_LOG_CHECKPOINT_BYTES).")
    long logCheckpointBytes;

    @Option(names = "--log-batch-linger-us", defaultValue = "${env:IMPROV_LOG_BATCH_LINGER_US:-1000}",
            description = "With --fsync BATCH: least time from the end of one fsync to the start of the next, "
                    + "0..100000 microseconds (0: at once); fewer fsyncs, acks later by up to this much "
                    + "(env IMPROV_LOG_BATCH_LINGER_US).")
    long logBatchLingerMicros;

    @Option(names = "--take-max-chunk-bytes", defaultValue = "${env:IMPROV_TAKE_MAX_CHUNK_BYTES:-65536}",
            description = "Largest chunk of a local take (PCM bytes of one upload), 1024..65536 "
                    + "(env IMPROV_TAKE_MAX_CHUNK_BYTES).")
    int takeMaxChunkBytes;

    @Option(names = "--take-quota-bytes", defaultValue = "${env:IMPROV_TAKE_QUOTA_BYTES:-2147483648}",
            description = "Disk one take may use, all its tracks together (env IMPROV_TAKE_QUOTA_BYTES).")
    long takeQuotaBytes;

    @Option(names = "--takes-disk-quota-bytes", defaultValue = "${env:IMPROV_TAKES_DISK_QUOTA_BYTES:-21474836480}",
            description = "Disk all local takes of this server may use (env IMPROV_TAKES_DISK_QUOTA_BYTES).")
    long takesDiskQuotaBytes;

    @Option(names = "--take-order-window", defaultValue = "${env:IMPROV_TAKE_ORDER_WINDOW:-64}",
            description = "How many chunk indexes past the first missing one an upload may be "
                    + "(env IMPROV_TAKE_ORDER_WINDOW).")
    int takeOrderWindow;

    @Option(names = "--take-upload-grace-ms", defaultValue = "${env:IMPROV_TAKE_UPLOAD_GRACE_MS:-600000}",
            description = "After a scene ends, how long its take waits for chunks still on the pages before it is "
                    + "assembled as incomplete (env IMPROV_TAKE_UPLOAD_GRACE_MS).")
    long takeUploadGraceMs;

    @Option(names = "--take-video", negatable = true, defaultValue = "${env:IMPROV_TAKE_VIDEO:-false}",
            description = "The performer pages also record their camera during a take (MediaRecorder, WebM, uploaded "
                    + "in chunks like the microphone) and say so on the stage (env IMPROV_TAKE_VIDEO).")
    boolean takeVideo;

    @Option(names = "--take-video-bitrate", defaultValue = "${env:IMPROV_TAKE_VIDEO_BITRATE:-1000000}",
            description = "Bits per second a page's camera recording asks for, 100000..8000000 "
                    + "(env IMPROV_TAKE_VIDEO_BITRATE).")
    int takeVideoBitrate;

    @Option(names = "--qc-interval-ms", defaultValue = "${env:IMPROV_QC_INTERVAL_MS:-1000}",
            description = "How often a room with a running scene evaluates its live quality flags, 100..60000 "
                    + "(env IMPROV_QC_INTERVAL_MS).")
    long qcIntervalMs;

    @Option(names = "--qc-min-take-s", defaultValue = "${env:IMPROV_QC_MIN_TAKE_S:-30}",
            description = "Seconds of a performer's part of a take before mostly_silent and dominates are judged "
                    + "(env IMPROV_QC_MIN_TAKE_S).")
    double qcMinTakeS;

    @Option(names = "--qc-mostly-silent-below", defaultValue = "${env:IMPROV_QC_MOSTLY_SILENT_BELOW:-0.2}",
            description = "mostly_silent when a performer's speech ratio is below this (env "
                    + "IMPROV_QC_MOSTLY_SILENT_BELOW).")
    double qcMostlySilentBelow;

    @Option(names = "--qc-talks-over-above", defaultValue = "${env:IMPROV_QC_TALKS_OVER_ABOVE:-0.5}",
            description = "talks_over when more than this share of a performer's speech overlaps a partner's "
                    + "(env IMPROV_QC_TALKS_OVER_ABOVE).")
    double qcTalksOverAbove;

    @Option(names = "--qc-min-speech-s", defaultValue = "${env:IMPROV_QC_MIN_SPEECH_S:-5}",
            description = "Seconds of a performer's own speech before talks_over is judged (env IMPROV_QC_MIN_SPEECH_S).")
    double qcMinSpeechS;

    @Option(names = "--qc-long-silence-s", defaultValue = "${env:IMPROV_QC_LONG_SILENCE_S:-30}",
            description = "long_silence when a performer has not spoken for longer than this (env "
                    + "IMPROV_QC_LONG_SILENCE_S).")
    double qcLongSilenceS;

    @Option(names = "--qc-dominates-above", defaultValue = "${env:IMPROV_QC_DOMINATES_ABOVE:-0.8}",
            description = "dominates when one performer holds more than this share of all speech (env "
                    + "IMPROV_QC_DOMINATES_ABOVE).")
    double qcDominatesAbove;

    @Option(names = "--qc-slow-turns-ms", defaultValue = "${env:IMPROV_QC_SLOW_TURNS_MS:-1500}",
            description = "slow_turns when the median gap before a performer's turns is longer than this (env "
                    + "IMPROV_QC_SLOW_TURNS_MS).")
    long qcSlowTurnsMs;

    @Option(names = "--qc-min-turn-gaps", defaultValue = "${env:IMPROV_QC_MIN_TURN_GAPS:-5}",
            description = "Turn gaps measured before slow_turns is judged (env IMPROV_QC_MIN_TURN_GAPS).")
    int qcMinTurnGaps;

    @Option(names = "--qc-muted-long-s", defaultValue = "${env:IMPROV_QC_MUTED_LONG_S:-30}",
            description = "muted_long when a performer was muted longer than this in a take (env "
                    + "IMPROV_QC_MUTED_LONG_S).")
    double qcMutedLongS;

    @Option(names = "--qc-max-reconnects", defaultValue = "${env:IMPROV_QC_MAX_RECONNECTS:-3}",
            description = "reconnects when a performer's connection came back more often than this in a take "
                    + "(env IMPROV_QC_MAX_RECONNECTS).")
    int qcMaxReconnects;

    @Option(names = "--qc-hysteresis", defaultValue = "${env:IMPROV_QC_HYSTERESIS:-0.05}",
            description = "How far past its threshold a ratio must come back before its flag clears, 0..0.5 (env "
                    + "IMPROV_QC_HYSTERESIS).")
    double qcHysteresis;

    @Option(names = "--consent-version", defaultValue = "${env:IMPROV_CONSENT_VERSION:-1}",
            description = "Version of the stage consent text of rooms created without their own "
                    + "(env IMPROV_CONSENT_VERSION).")
    int consentVersion;

    @Option(names = "--consent-file", defaultValue = "${env:IMPROV_CONSENT_FILE}",
            description = "UTF-8 file with the stage consent text of rooms created without their own; default: a "
                    + "built-in text (env IMPROV_CONSENT_FILE).")
    Path consentFile;

    @Option(names = "--cluster", split = ",", defaultValue = "${env:IMPROV_CLUSTER}",
            description = "Join a cluster through these NATS JetStream servers (nats://h1:4222,nats://h2:4222,...): "
                    + "rooms are owned through leases and logged in a replicated stream, any node takes any link "
                    + "(docs/cluster.md). Default: one node, no external service (env IMPROV_CLUSTER).")
    List<String> cluster;

    @Option(names = "--cluster-lease-ms", defaultValue = "${env:IMPROV_CLUSTER_LEASE_MS:-3000}",
            description = "How long a room's lease lasts unless renewed; another node takes the room over after it "
                    + "(env IMPROV_CLUSTER_LEASE_MS).")
    long clusterLeaseMs;

    @Option(names = "--cluster-replicas", defaultValue = "${env:IMPROV_CLUSTER_REPLICAS:-3}",
            description = "JetStream replicas of the room stream and the lease bucket (env IMPROV_CLUSTER_REPLICAS).")
    int clusterReplicas;

    @Option(names = "--cluster-pool-snapshot-facts", defaultValue = "${env:IMPROV_CLUSTER_POOL_SNAPSHOT_FACTS:-500}",
            description = "Pool facts stored between two rounds of lobby pool snapshots in cluster mode; older "
                    + "messages of a pool's log are purged after its snapshot (env IMPROV_CLUSTER_POOL_SNAPSHOT_FACTS).")
    long clusterPoolSnapshotFacts;

    @Option(names = "--cluster-node", defaultValue = "${env:IMPROV_CLUSTER_NODE}",
            description = "This node's name in the cluster; default: host name and process id "
                    + "(env IMPROV_CLUSTER_NODE).")
    String clusterNode;

    @Option(names = "--transport", defaultValue = "${env:IMPROV_TRANSPORT:-auto}",
            description = "auto (epoll when available), epoll or nio (env IMPROV_TRANSPORT).")
    String transport;

    @Option(names = "--io-threads", defaultValue = "${env:IMPROV_IO_THREADS:-0}",
            description = "Event loop threads; 0 = number of cores (env IMPROV_IO_THREADS).")
    int ioThreads;

    @Option(names = "--shutdown-grace-ms", defaultValue = "${env:IMPROV_SHUTDOWN_GRACE_MS:-5000}",
            description = "On shutdown, time allowed to tell members and flush the logs (env IMPROV_SHUTDOWN_GRACE_MS).")
    long shutdownGraceMs;

    @Option(names = "--stun-urls", split = ",", defaultValue = "${env:IMPROV_STUN_URLS:-}",
            description = "STUN server URLs for browsers, comma separated, e.g. stun:stun.example.org:3478 "
                    + "(env IMPROV_STUN_URLS).")
    List<String> stunUrls;

    @Option(names = "--turn-urls", split = ",", defaultValue = "${env:IMPROV_TURN_URLS:-}",
            description = "TURN server URLs, comma separated, e.g. turn:turn.example.org:3478?transport=udp "
                    + "(env IMPROV_TURN_URLS).")
    List<String> turnUrls;

    @Option(names = "--turn-secret", defaultValue = "${env:IMPROV_TURN_SECRET}",
            description = "Shared secret of the TURN server (coturn static-auth-secret) (env IMPROV_TURN_SECRET).")
    String turnSecret;

    @Option(names = "--turn-credential-ttl-seconds", defaultValue = "${env:IMPROV_TURN_CREDENTIAL_TTL_SECONDS:-3600}",
            description = "Lifetime of the TURN credentials handed to a client (env IMPROV_TURN_CREDENTIAL_TTL_SECONDS).")
    long turnCredentialTtlSeconds;

    @Option(names = "--relay-only", negatable = true, defaultValue = "${env:IMPROV_RELAY_ONLY:-false}",
            fallbackValue = "true", description = "Browsers send media through TURN only (iceTransportPolicy relay), "
            + "hiding performers' addresses from each other (env IMPROV_RELAY_ONLY).")
    boolean relayOnly;

    @Option(names = "--prompt-library", defaultValue = "${env:IMPROV_PROMPT_LIBRARY}",
            description = "JSON file with the moderators' prompt library: {\"categories\":[{\"name\":…,"
                    + "\"prompts\":[…]}]}; default: the built-in one (env IMPROV_PROMPT_LIBRARY).")
    Path promptLibrary;

    @Option(names = "--media-recorder", negatable = true, defaultValue = "${env:IMPROV_MEDIA_RECORDER:-true}",
            fallbackValue = "true", description = "Rooms created with recordMedia get a server-side WebRTC recorder "
            + "(per-performer WAV + voice activity) (env IMPROV_MEDIA_RECORDER).")
    boolean mediaRecorder;

    @Option(names = "--media-max-rooms", defaultValue = "${env:IMPROV_MEDIA_MAX_ROOMS:-4}",
            description = "Rooms whose media this process records at once (env IMPROV_MEDIA_MAX_ROOMS).")
    int mediaMaxRooms;

    @Option(names = "--media-consent", defaultValue = "${env:IMPROV_MEDIA_CONSENT:-lobby}",
            description = "lobby: record only performers whose lobby consent is in the room's log; everyone: consent "
                    + "was taken elsewhere (env IMPROV_MEDIA_CONSENT).")
    String mediaConsent;

    @Option(names = "--media-video-fps", defaultValue = "${env:IMPROV_MEDIA_VIDEO_FPS:-0}",
            description = "Camera images per second stored per performer as a JPEG sequence; 0 = audio only "
                    + "(env IMPROV_MEDIA_VIDEO_FPS).")
    double mediaVideoFps;

    @Option(names = "--webhooks", defaultValue = "${env:IMPROV_WEBHOOKS}",
            description = "JSON file of webhook endpoints (id, url, whsec_ secret, event kinds), mode 600; "
                    + "see docs/integration.md (env IMPROV_WEBHOOKS).")
    Path webhooks;

    @Option(names = "--webhook-retry-base-ms", defaultValue = "${env:IMPROV_WEBHOOK_RETRY_BASE_MS:-1000}",
            description = "First retry delay of a failed webhook delivery; doubles per attempt, with jitter "
                    + "(env IMPROV_WEBHOOK_RETRY_BASE_MS).")
    long webhookRetryBaseMs;

    @Option(names = "--webhook-retry-max-ms", defaultValue = "${env:IMPROV_WEBHOOK_RETRY_MAX_MS:-300000}",
            description = "Longest delay between two attempts (env IMPROV_WEBHOOK_RETRY_MAX_MS).")
    long webhookRetryMaxMs;

    @Option(names = "--webhook-max-attempts", defaultValue = "${env:IMPROV_WEBHOOK_MAX_ATTEMPTS:-25}",
            description = "Attempts per delivery before it is given up (counted and logged) "
                    + "(env IMPROV_WEBHOOK_MAX_ATTEMPTS).")
    int webhookMaxAttempts;

    @Option(names = "--webhook-max-pending", defaultValue = "${env:IMPROV_WEBHOOK_MAX_PENDING:-100000}",
            description = "Deliveries the outbox holds at most; more events are dropped and counted "
                    + "(env IMPROV_WEBHOOK_MAX_PENDING).")
    int webhookMaxPending;

    @Option(names = "--webhook-timeout-ms", defaultValue = "${env:IMPROV_WEBHOOK_TIMEOUT_MS:-10000}",
            description = "Connect and answer timeout of one delivery attempt (env IMPROV_WEBHOOK_TIMEOUT_MS).")
    long webhookTimeoutMs;

    /** Builds the validated configuration; reads or creates the secrets in the data directory. */
    public ServerConfig toConfig() throws IOException {
        Path data = dataDir.toAbsolutePath().normalize();
        OwnerOnly.dataDirectory(data);
        if (adminKey != null && !adminKey.isBlank() && adminKeyFile != null) {
            throw new IllegalArgumentException("give the admin key either by --admin-key or by --admin-key-file");
        }
        String key = adminKey == null || adminKey.isBlank() ? Secrets.adminKey(data, adminKeyFile) : adminKey;
        ServerConfig.TokenSettings tokens = tokenSettings(data);
        String url = publicUrl == null || publicUrl.isBlank() ? "http://localhost:" + port : stripSlash(publicUrl);
        if ((publicUrl == null || publicUrl.isBlank()) && clean(allowedOrigins).isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(ServerCommand.class).warn("no --public-url and no --allowed-origins: "
                    + "browsers may open WebSockets only from pages this server serves on localhost, 127.0.0.1 or "
                    + "[::1]; set --public-url to the address browsers use");
        }
        List<String> origins = clean(allowedOrigins).stream().map(ServerCommand::stripSlash).toList();
        RoomLimits limits = new RoomLimits(maxMembers, Map.of(Role.PERFORMER, maxPerformers,
                Role.MODERATOR, maxModerators, Role.RECORDER, maxRecorders, Role.OBSERVER, maxObservers),
                resumeWindowMs, historyEvents, historyBytes, catchUpStallMs, clientClockWindowSeconds * 1000);
        return new ServerConfig(host, port, url, data, key, tokens, origins, maxMessageBytes, messagesPerSecond,
                messageBurst, limits, joinTimeoutMs, idleTimeoutMs, pingIntervalMs, writeBufferHighWater,
                linkTtlSeconds, sessionLog, fsync, fsyncIntervalMs, transport, ioThreads, shutdownGraceMs,
                new ServerConfig.IceSettings(clean(stunUrls), clean(turnUrls), turnSecret, turnCredentialTtlSeconds,
                        relayOnly),
                new ServerConfig.MediaSettings(mediaRecorder, mediaMaxRooms, mediaConsent, mediaVideoFps),
                promptLibrary == null ? null : promptLibrary.toAbsolutePath(),
                new ServerConfig.ClientLimits(httpMaxPipelined, httpRequestTimeoutMs, maxConnectionsPerAddress,
                        upgradesPerSecondPerAddress, upgradeBurstPerAddress, reconnectsPerMinute, reconnectBurst,
                        trackedAddresses, protocolErrorLogsPerMinute, httpInputBudgetBytes,
                        wsInputBudgetBytes, wsOutputBudgetBytes, wsReadBytesPerSecond),
                new ServerConfig.AdminListener(adminHost, adminPort),
                new ServerConfig.WebhookSettings(webhooks == null ? null : webhooks.toAbsolutePath(),
                        webhookRetryBaseMs, webhookRetryMaxMs, webhookMaxAttempts, webhookMaxPending, webhookTimeoutMs),
                new ServerConfig.LogSettings(logSegmentBytes, logBacklogBytes, logCheckpointBytes,
                        logBatchLingerMicros), clusterSettings(),
                new ServerConfig.TakeSettings(takeMaxChunkBytes, takeQuotaBytes, takesDiskQuotaBytes, takeOrderWindow,
                        takeUploadGraceMs, consentVersion, consentFile == null
                                ? ServerConfig.TakeSettings.DEFAULT_CONSENT_TEXT
                                : java.nio.file.Files.readString(consentFile), takeVideo, takeVideoBitrate),
                new dev.improv.server.quality.QcThresholds(qcIntervalMs, qcMinTakeS, qcMostlySilentBelow,
                        qcTalksOverAbove, qcMinSpeechS, qcLongSilenceS, qcDominatesAbove, qcSlowTurnsMs, qcMinTurnGaps,
                        qcMutedLongS, qcMaxReconnects, qcHysteresis));
    }

    private ServerConfig.ClusterSettings clusterSettings() {
        List<String> urls = clean(cluster);
        if (urls.isEmpty()) {
            return null;
        }
        String node = clusterNode != null && !clusterNode.isBlank() ? clusterNode
                : (hostName() + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9_-]", "-");
        return new ServerConfig.ClusterSettings(urls, clusterLeaseMs, clusterReplicas,
                node.length() > 64 ? node.substring(node.length() - 64) : node, clusterPoolSnapshotFacts);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "node";
        }
    }

    private ServerConfig.TokenSettings tokenSettings(Path data) throws IOException {
        Path keys = tokenKeys != null ? tokenKeys.toAbsolutePath()
                : java.nio.file.Files.exists(data.resolve("token-keys.json")) ? data.resolve("token-keys.json") : null;
        List<String> issuers = new java.util.ArrayList<>(List.of(tokenIssuer));
        issuers.addAll(clean(tokenAcceptedIssuers));
        return new ServerConfig.TokenSettings(Secrets.tokenSecret(data, tokenSecretFile), keys, tokenIssuer, issuers, tokenAudience,
                tokenClockSkewSeconds);
    }

    private static List<String> clean(List<String> values) {
        return values == null ? List.of() : values.stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Where the admin key is, for the start-up banner: never the key itself. */
    public String adminKeySource() {
        if (adminKey != null && !adminKey.isBlank()) {
            return "given by --admin-key or IMPROV_ADMIN_KEY";
        }
        return "in " + Secrets.adminKeyFile(dataDir.toAbsolutePath().normalize(), adminKeyFile);
    }

    /** Version from the jar manifest, or "dev" when running from classes. */
    public static String serverVersion() {
        String v = ServerCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"improv-server " + serverVersion()};
        }
    }

    /** For tests: the defaults as if no flag and no variable were set, with {@code args} on top. */
    public static ServerCommand parse(String... args) {
        ServerCommand cmd = new ServerCommand();
        new picocli.CommandLine(cmd).parseArgs(args);
        return cmd;
    }
}
