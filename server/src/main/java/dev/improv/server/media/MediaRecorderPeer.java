package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ReconnectRules;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.protocol.SignalKind;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.RTCConfiguration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recorder of one room: a {@code recorder}-role client of our WebSocket protocol, joined with a token that
 * has the {@code media} scope (so the room announces it with the {@code media} capability and performer pages
 * offer it their media), that keeps the server clock (time sync), follows the roster, answers each consenting
 * performer's WebRTC offer with a recv-only peer connection, and writes their audio through one
 * {@link RoomMediaWriter} (and, when {@code videoFps > 0}, a sampled image sequence of their video through one
 * {@link VideoFrameWriter}). Signals have the performer mesh's shape ({@link PeerSession}). It reconnects by the
 * pages' rules ({@link ReconnectRules}: the same back-off, resume with {@code lastSeq}, welcome = connected) and
 * stops for good when the room closes or the server refuses it for a reason that a retry cannot fix.
 *
 * <p>Nothing is dropped silently: a signal that cannot be used (not from a performer, not the mesh's shape, for a
 * connection that was replaced) and a message that cannot be sent while disconnected are logged and counted
 * ({@link #signalsIgnored()}, {@link #sendsDropped()}). Unsent signals are not queued for later, like the pages':
 * a stale answer would do harm, and the performer offers anew when it sees the recorder back ({@code presence}).
 *
 * <p>Threads: every field below is owned by the single control thread {@code media-control-<room>}; the
 * WebSocket listener only parses text and hands it over.
 */
public final class MediaRecorderPeer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MediaRecorderPeer.class);
    static final long TIME_SYNC_EVERY_MS = 5_000;
    static final int TIME_SYNC_BURST = 6;
    static final long STATS_EVERY_MS = 1_000;

    private final URI url;
    private final String roomId;
    private final Path dataDir;
    private final PeerConnectionFactory factory;
    private final RTCConfiguration rtcConfig;
    private final ConsentPolicy consent;
    private final double videoFps;
    private final Runnable onFinished;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ScheduledExecutorService control;
    private final ServerClock clock = new ServerClock();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    /** Completes at the first welcome, once this recorder handled it (its socket is then the current one). */
    private final CompletableFuture<Void> joined = new CompletableFuture<>();

    private WebSocket socket;
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    private long lastSeq = -1;
    private String sessionId;
    private String selfId;
    private RoomMediaWriter writer;
    /** Null unless video is recorded ({@code videoFps > 0}). */
    private VideoFrameWriter videoWriter;
    private final Map<String, ServerMessage.Member> performers = new HashMap<>();
    private final Map<String, PeerSession> peers = new HashMap<>();
    private final Map<String, Integer> streams = new HashMap<>();
    private int reconnectAttempts;
    /** The last error the server sent on the current connection: a final one ends the recorder at the close. */
    private ErrorCode lastError;
    private final DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private final AtomicLong signalsIgnored = new AtomicLong();
    private final AtomicLong sendsDropped = new AtomicLong();
    private boolean stopped;

    MediaRecorderPeer(URI url, String roomId, Path dataDir, PeerConnectionFactory factory, RTCConfiguration rtcConfig,
                      ConsentPolicy consent, Runnable onFinished) {
        this(url, roomId, dataDir, factory, rtcConfig, consent, 0, onFinished);
    }

    MediaRecorderPeer(URI url, String roomId, Path dataDir, PeerConnectionFactory factory, RTCConfiguration rtcConfig,
                      ConsentPolicy consent, double videoFps, Runnable onFinished) {
        this.url = url;
        this.videoFps = videoFps;
        this.roomId = roomId;
        this.dataDir = dataDir;
        this.factory = factory;
        this.rtcConfig = rtcConfig;
        this.consent = consent;
        this.onFinished = onFinished;
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "media-control-" + roomId);
            t.setDaemon(true);
            return t;
        });
        control.execute(this::connect);
        control.scheduleWithFixedDelay(this::timeSync, TIME_SYNC_EVERY_MS, TIME_SYNC_EVERY_MS, TimeUnit.MILLISECONDS);
        control.scheduleWithFixedDelay(() -> peers.values().forEach(PeerSession::pollStats), STATS_EVERY_MS,
                STATS_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    public String roomId() {
        return roomId;
    }

    /** Completes when this recorder stopped (room closed, refused, or closed by its owner) and files are closed. */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    /** Completes when the recorder has joined its room the first time (tests: before cutting its socket). */
    CompletableFuture<Void> joined() {
        return joined;
    }

    /** Signals received that could not be used (logged each). */
    public long signalsIgnored() {
        return signalsIgnored.get();
    }

    /** Messages not sent because the socket was down (logged each). */
    public long sendsDropped() {
        return sendsDropped.get();
    }

    /** The clock this recorder measured; for tests. */
    public ServerClock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ WebSocket

    private void connect() {
        if (stopped) {
            return;
        }
        lastError = null;
        String target = url.toString() + (lastSeq >= 0 ? "&lastSeq=" + lastSeq : "");
        http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create(target), new Listener())
                .whenComplete((ws, error) -> control.execute(() -> {
                    if (error != null) {
                        LOG.warn("room {}: recorder could not connect: {}", roomId, error.toString());
                        scheduleReconnect();
                    } else if (stopped) {
                        ws.abort();
                    }
                }));
    }

    private void dropped(WebSocket ws, int code, String reason) {
        if (ws != socket) {
            return;
        }
        socket = null;
        if (stopped) {
            return;
        }
        Optional<ErrorCode> refusal = ReconnectRules.finalRefusal(code, lastError);
        if (refusal.isPresent()) { // a retry would be refused again
            LOG.info("room {}: recorder refused by the server ({}; close {} {}); stopping", roomId,
                    refusal.get().wireName(), code, reason);
            stop();
            return;
        }
        LOG.warn("room {}: recorder connection lost ({} {}); reconnecting from seq {}", roomId, code, reason, lastSeq);
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (stopped) {
            return;
        }
        long delay = ReconnectRules.delayMs(++reconnectAttempts, random);
        LOG.info("room {}: recorder reconnect attempt {} in {} ms", roomId, reconnectAttempts, delay);
        control.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void send(ObjectNode message) {
        WebSocket ws = socket;
        if (ws == null) {
            // not kept for later: a stale answer would do harm; the performer offers again when we are back
            sendsDropped.incrementAndGet();
            LOG.info("room {}: recorder disconnected, {} {} not sent", roomId, message.path("type").asText(),
                    message.path("kind").asText(""));
            return;
        }
        String text = message.toString();
        sending = sending.handle((x, e) -> null).thenCompose(x -> ws.sendText(text, true))
                .whenComplete((x, e) -> {
                    if (e != null) { // the socket failed under it: counted like a send while disconnected
                        sendsDropped.incrementAndGet();
                        LOG.info("room {}: {} {} not sent: {}", roomId, message.path("type").asText(),
                                message.path("kind").asText(""), e.toString());
                    }
                });
    }

    private void sendSignal(String to, String kind, ObjectNode data) {
        ObjectNode m = ProtocolCodec.mapper().createObjectNode().put("type", "signal").put("to", to).put("kind", kind);
        m.set("data", data);
        send(m);
    }

    // ------------------------------------------------------------------ protocol

    /** One server message, decoded into the protocol's records: no type names or close codes kept here. */
    private void handle(ServerMessage m) {
        if (m instanceof RoomEvent event) {
            lastSeq = Math.max(lastSeq, event.seq());
        }
        if (m instanceof ServerMessage.Welcome w) {
            welcome(w);
        } else if (m instanceof RoomEvent.MemberJoined joined) {
            member(joined.member());
        } else if (m instanceof RoomEvent.MemberLeft left) {
            performerGone(left.id());
        } else if (m instanceof ServerMessage.SignalRelay s) {
            signal(s.from(), s.kind(), s.data().toTree());
        } else if (m instanceof ServerMessage.TimeSyncReply reply) {
            timeSyncReply(reply);
        } else if (m instanceof RoomEvent.SceneEnded) {
            if (writer != null) {
                writer.checkpoint();
            }
        } else if (m instanceof RoomEvent.RoomClosed) {
            stop();
        } else if (m instanceof ServerMessage.Error e) {
            lastError = e.code();
            LOG.info("room {}: server says {} {}", roomId, e.code(), e.message());
        }
        // prompts, marks, presence...: not the recorder's business
    }

    private void welcome(ServerMessage.Welcome m) {
        reconnectAttempts = 0;
        selfId = m.you().id();
        String session = m.room().session();
        if (writer != null && !session.equals(sessionId)) {
            closePeersAndWriter(); // a new room session: never mix two sessions in one file
        }
        sessionId = session;
        if (writer == null) {
            writer = new RoomMediaWriter(dataDir.resolve("sessions").resolve(sessionId).resolve("media"), roomId,
                    new RoomMediaWriter.ClockSource() {
                        @Override
                        public long offsetMicros() {
                            return clock.offsetMicros();
                        }

                        @Override
                        public long rttMicros() {
                            return clock.rttMicros();
                        }
                    });
            if (videoFps > 0) {
                videoWriter = new VideoFrameWriter(dataDir.resolve("sessions").resolve(sessionId).resolve("media"),
                        roomId);
            }
        }
        for (ServerMessage.Member member : m.roster()) {
            member(member);
        }
        for (int i = 0; i < TIME_SYNC_BURST; i++) {
            control.schedule(this::timeSync, 50L * i, TimeUnit.MILLISECONDS);
        }
        LOG.info("room {}: recorder {} joined session {} ({} performers)", roomId, selfId, sessionId,
                performers.size());
        joined.complete(null);
    }

    private void member(ServerMessage.Member member) {
        if (member.role() == Role.PERFORMER) {
            performers.put(member.id(), member);
        }
    }

    private void performerGone(String id) {
        if (performers.remove(id) != null) {
            PeerSession peer = peers.remove(id);
            if (peer != null) {
                peer.close();
            }
            if (writer != null) {
                writer.closeTrack(id);
            }
            if (videoWriter != null) {
                videoWriter.closeTrack(id);
            }
        }
    }

    /**
     * A performer's signal, in the mesh's shape: an offer {@code {"description": {"type": "offer", "sdp"}, "conn"}}
     * opens a new connection (every offer is a new stream); a candidate {@code {"candidate": {…}, "conn", "to"}}
     * belongs to the connection whose offer had that {@code conn} (and, when {@code to} is given, to ours).
     */
    private void signal(String from, SignalKind kind, JsonNode data) {
        ServerMessage.Member performer = performers.get(from);
        if (performer == null) {
            ignored(from, kind, "the sender is not a performer of this room");
            return;
        }
        String conn = data.path("conn").isTextual() ? data.get("conn").asText() : null;
        if (conn == null) {
            ignored(from, kind, "no 'conn' (docs/protocol.md, Signals)");
            return;
        }
        if (kind == SignalKind.OFFER) {
            JsonNode description = data.path("description");
            if (!"offer".equals(description.path("type").asText()) || !description.path("sdp").isTextual()) {
                ignored(from, kind, "no 'description' {type: offer, sdp}");
                return;
            }
            if (!consent.consented(roomId, sessionId, performer)) {
                LOG.info("room {}: {} has not consented to recording; offer not answered", roomId, from);
                return;
            }
            PeerSession old = peers.remove(from);
            if (old != null) {
                old.close(); // the performer reconnected: a new stream continues the same file
            }
            int stream = streams.merge(from, 1, Integer::sum);
            PeerSession peer = new PeerSession(from, conn, stream, factory, rtcConfig, control,
                    (k, d) -> sendSignal(from, k, d), writer, clock, videoWriter, videoFps);
            peers.put(from, peer);
            peer.acceptOffer(description.path("sdp").asText());
        } else if (kind == SignalKind.ICE) {
            PeerSession peer = peers.get(from);
            String to = data.path("to").isTextual() ? data.get("to").asText() : null;
            if (peer == null || !peer.remoteConn().equals(conn) || (to != null && !to.equals(peer.conn()))) {
                ignored(from, kind, "for a connection that is no longer open"); // left over from an earlier one
                return;
            }
            peer.addRemoteCandidate(data.get("candidate"));
        } else {
            ignored(from, kind, "the recorder never offers, so it takes no answer");
        }
    }

    private void ignored(String from, SignalKind kind, String why) {
        signalsIgnored.incrementAndGet();
        LOG.info("room {}: {} signal from {} ignored: {}", roomId, kind.wireName(), from, why);
    }

    private void timeSync() {
        if (socket != null) {
            send(ProtocolCodec.mapper().createObjectNode().put("type", "time_sync").put("clientTs", clock.localMicros()));
        }
    }

    private void timeSyncReply(ServerMessage.TimeSyncReply m) {
        long now = clock.localMicros();
        long clientTs = m.clientTs();
        long recv = m.serverRecvTs();
        long sent = m.serverSendTs();
        clock.addSample(clientTs, recv, sent, now);
        send(ProtocolCodec.mapper().createObjectNode().put("type", "time_sync_report").put("clientTs", clientTs)
                .put("serverRecvTs", recv).put("serverSendTs", sent).put("clientRecvTs", now));
    }

    // ------------------------------------------------------------------ stopping

    private void closePeersAndWriter() {
        peers.values().forEach(PeerSession::close);
        peers.clear();
        if (writer != null) {
            writer.close();
            writer = null;
        }
        if (videoWriter != null) {
            videoWriter.close();
            videoWriter = null;
        }
    }

    private void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        closePeersAndWriter();
        WebSocket ws = socket;
        socket = null;
        if (ws != null) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "recorder done").orTimeout(1, TimeUnit.SECONDS)
                    .whenComplete((x, e) -> ws.abort());
        }
        control.shutdown();
        onFinished.run(); // first: whoever sees finished() complete finds the room's slot free
        finished.complete(null);
    }

    /** Stops recording this room: closes the peer connections and the files, leaves the room's socket. */
    @Override
    public void close() {
        if (!control.isShutdown()) {
            try {
                control.execute(this::stop);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // already stopping
            }
        }
        try {
            finished.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("room {}: recorder did not stop in time", roomId);
        }
    }

    /** Simulates a crash of the recorder's network: drops the socket without a close handshake (tests). */
    void abortSocketForTest() {
        control.execute(() -> {
            WebSocket ws = socket;
            if (ws != null) {
                ws.abort(); // the JDK tells no listener about an abort: report the drop ourselves
                dropped(ws, -1, "aborted");
            }
        });
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket ws) {
            execute(() -> {
                if (stopped) {
                    ws.abort();
                } else {
                    socket = ws;
                    sending = CompletableFuture.completedFuture(null);
                }
            });
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    ServerMessage message = ProtocolCodec.decodeServer(text);
                    control.execute(() -> {
                        if (ws == socket) {
                            handle(message);
                        }
                    });
                } catch (RuntimeException e) {
                    LOG.warn("room {}: unreadable server message ({})", roomId, e.getMessage());
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            execute(() -> dropped(ws, statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            execute(() -> dropped(ws, -1, error.toString()));
        }

        private void execute(Runnable r) {
            try {
                control.execute(r);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopped
            }
        }
    }
}
