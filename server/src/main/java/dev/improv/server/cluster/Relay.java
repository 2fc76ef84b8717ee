package dev.improv.server.cluster;

import dev.improv.server.protocol.Capability;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.LobbyRequest;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.FrameFactory;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.SharedFrame;
import dev.improv.server.routing.Joined;
import dev.improv.server.routing.LocalRouter;
import dev.improv.server.routing.MessageSink;
import dev.improv.server.routing.PoolJoin;
import dev.improv.server.routing.RoomJoin;
import io.nats.client.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Members of a room owned by another node: their connection stays on the node they reached (the edge), and
 * everything between them and the room crosses core NATS subjects — no sticky load balancer, no second hop for
 * the client. Chosen over sending clients to the owner's address because a client then needs no reachable
 * address per node and a failover is one reconnect to any node; the price is a relay hop per event and member.
 *
 * <pre>
 * edge ─► improv.node.OWNER.join            request: who joins (the verified token's claims) ─► reply: refusal or ok
 * edge ─► improv.node.OWNER.msg.EDGE.CONN    [8 bytes number][8 bytes receive time µs][client message JSON]
 * edge ─► improv.node.OWNER.lost.EDGE.CONN   the member's socket is gone
 * owner ─► improv.edge.EDGE.CONN             'F' [8 bytes number] the frame's exact bytes (room event or direct
 *                                            message), 'C' [8 bytes number] error code name '\n' reason (close)
 * any  ─► improv.node.NODE.ping | .admin     round-trip probe | admin queries (ClusterRouter)
 * </pre>
 * NATS keeps the order of one publisher's messages on a subject, so a member sees the room's events in seq order.
 * Core NATS may drop messages while a connection reconnects (a NATS server died): every message of a link is
 * numbered, and the side that finds a number missing ends the link with 1001 before passing anything after the
 * gap on — the client resumes with {@code lastSeq} (and resends what was not acknowledged), so nothing is skipped.
 * A relayed member whose other end is not heard from for {@link ClusterNode#NODE_GONE_MS} is let go: the edge
 * closes the socket with 1001 (the client reconnects and resumes with {@code lastSeq}), the owner takes the
 * member's connection as lost (presence, resume window). Handlers run on the jnats dispatcher thread and only hand
 * work on ({@code room.execute} through the sink, or a socket write).
 */
final class Relay {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(3);
    private static final byte FRAME = 'F';
    private static final byte CLOSE = 'C';

    /** What the edge sends with a join: the token's verified claims and where to answer. */
    record JoinRequest(String roomId, String participantId, String displayName, Role role, long lastSeq,
                       List<Capability> capabilities, String edge, String conn, String remote, String pool) {
    }

    /** The owner's answer to a join: the refusal's code name, or null when joined. */
    record JoinReply(String refusal) {
    }

    /** A member on this node of a room owned elsewhere. */
    private static final class EdgeLink {
        final MemberConnection conn;
        final String roomId;
        final String owner;
        /** Numbers of messages to the owner (any thread, in order) and the last one from it (dispatcher thread). */
        final AtomicLong sent = new AtomicLong();
        long received;

        EdgeLink(MemberConnection conn, String roomId, String owner) {
            this.conn = conn;
            this.roomId = roomId;
            this.owner = owner;
        }

        MemberConnection conn() {
            return conn;
        }

        String roomId() {
            return roomId;
        }

        String owner() {
            return owner;
        }
    }

    /** A member on another node of a room (or a lobby pool) owned here; {@code T}: what its messages are. */
    private static final class OwnerLink<T> {
        final RelayedConnection conn;
        final Function<byte[], T> decode;
        volatile MessageSink<T> sink;
        /** The last message number from the edge (dispatcher thread). */
        long received;

        OwnerLink(RelayedConnection conn, Function<byte[], T> decode) {
            this.conn = conn;
            this.decode = decode;
        }

        void deliver(byte[] json, long receivedAtMicros) {
            sink.deliver(decode.apply(json), receivedAtMicros);
        }
    }

    private final ClusterNode node;
    private final FrameFactory frames;
    private final String me;
    private final AtomicLong ids = new AtomicLong();
    /** Edge side, by connection id. */
    private final Map<String, EdgeLink> edges = new ConcurrentHashMap<>();
    /** Owner side, by "edge/conn". */
    private final Map<String, OwnerLink<?>> relayed = new ConcurrentHashMap<>();
    private volatile LocalRouter local;
    private volatile Function<byte[], CompletableFuture<byte[]>> admin;
    private long lastPing;

    Relay(ClusterNode node, FrameFactory frames) {
        this.node = node;
        this.frames = frames;
        this.me = node.name();
    }

    /** Starts serving: members of this node's rooms through {@code local}, admin queries through {@code admin}. */
    void serve(LocalRouter localRouter, Function<byte[], CompletableFuture<byte[]>> adminQueries) {
        this.local = localRouter;
        this.admin = adminQueries;
        node.dispatcher().subscribe("improv.node." + me + ".>", this::ownerSide);
        node.dispatcher().subscribe("improv.edge." + me + ".*", this::edgeSide);
    }

    // ------------------------------------------------------------------ edge side

    /** Joins a member connected here to a room owned by {@code owner}. */
    CompletableFuture<Joined<ClientMessage>> join(String owner, RoomJoin join, MemberConnection conn) {
        String connId = Long.toString(ids.incrementAndGet(), 36);
        return join(owner, join.roomId(), connId, new JoinRequest(join.roomId(), join.participantId(),
                join.displayName(), join.role(), join.lastSeq(), join.capabilities(), me, connId,
                conn.remoteAddress(), null), conn, m -> ProtocolCodec.encodeClient(m).getBytes(StandardCharsets.UTF_8));
    }

    /** Connects a lobby member here to a pool owned by {@code owner} (the same link as a room member's). */
    CompletableFuture<Joined<LobbyRequest>> joinPool(String owner, PoolJoin join, MemberConnection conn) {
        String connId = Long.toString(ids.incrementAndGet(), 36);
        return join(owner, PoolStream.leaseKey(join.pool()), connId, new JoinRequest(join.pool(),
                join.participantId(), join.displayName(), join.role(), 0, List.of(), me, connId, conn.remoteAddress(),
                join.pool()), conn, Relay::encodeLobby);
    }

    private static byte[] encodeLobby(LobbyRequest request) {
        try {
            return ProtocolCodec.mapper().writeValueAsBytes(request);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code key}: the room id, or the pool's lease key (a change of owner lets the link go). */
    private <T> CompletableFuture<Joined<T>> join(String owner, String key, String connId, JoinRequest request,
                                                  MemberConnection conn, Function<T, byte[]> encode) {
        EdgeLink link = new EdgeLink(conn, key, owner);
        edges.put(connId, link);
        byte[] body;
        try {
            body = ProtocolCodec.mapper().writeValueAsBytes(request);
        } catch (IOException e) {
            edges.remove(connId);
            return CompletableFuture.failedFuture(e);
        }
        String what = request.pool() != null ? "pool " + request.pool() : "room " + request.roomId();
        return node.nats().requestWithTimeout("improv.node." + owner + ".join", body, JOIN_TIMEOUT)
                .handle((reply, error) -> {
                    String refusal;
                    if (error != null) {
                        refusal = ErrorCode.SERVER_SHUTDOWN.name(); // owner gone meanwhile: reconnect and retry
                        LOG.info("cluster: join of {} to {} on node {} not answered: {}", request.participantId(),
                                what, owner, error.toString());
                    } else {
                        try {
                            refusal = ProtocolCodec.mapper().readValue(reply.getData(), JoinReply.class).refusal();
                        } catch (IOException e) {
                            refusal = ErrorCode.INTERNAL.name();
                        }
                    }
                    if (refusal != null) {
                        edges.remove(connId);
                        return Joined.<T>refused(ErrorCode.valueOf(refusal));
                    }
                    return Joined.with(new EdgeSink<>(link, connId, encode));
                });
    }

    /** A relayed member's messages, published to the owner in order. */
    private final class EdgeSink<T> implements MessageSink<T> {
        private final EdgeLink link;
        private final String connId;
        private final Function<T, byte[]> encode;

        EdgeSink(EdgeLink link, String connId, Function<T, byte[]> encode) {
            this.link = link;
            this.connId = connId;
            this.encode = encode;
        }

        @Override
        public void deliver(T message, long receivedAtMicros) {
            byte[] json = encode.apply(message);
            synchronized (link) { // numbered and queued in one step: numbers leave in order
                byte[] body = ByteBuffer.allocate(16 + json.length).putLong(link.sent.incrementAndGet())
                        .putLong(receivedAtMicros).put(json).array();
                publish("improv.node." + link.owner + ".msg." + me + "." + connId, body);
            }
        }

        @Override
        public void connectionLost() {
            edges.remove(connId);
            publish("improv.node." + link.owner + ".lost." + me + "." + connId, new byte[0]);
        }
    }

    private void edgeSide(Message m) {
        String subject = m.getSubject();
        String connId = subject.substring(subject.lastIndexOf('.') + 1);
        EdgeLink link = edges.get(connId);
        byte[] data = m.getData();
        if (link == null || data.length < 9) {
            return;
        }
        long number = ByteBuffer.wrap(data, 1, 8).getLong();
        if (number != link.received + 1) {
            if (edges.remove(connId, link)) {
                LOG.warn("cluster: relay from {} lost messages {}..{} (NATS reconnect?); the member resumes",
                        link.owner, link.received + 1, number - 1);
                link.conn().close(ErrorCode.SERVER_SHUTDOWN, "messages were lost between servers; reconnect to "
                        + "resume");
            }
            return;
        }
        link.received = number;
        if (data[0] == FRAME) {
            SharedFrame frame = frames.wrap(Arrays.copyOfRange(data, 9, data.length));
            try {
                link.conn().send(frame);
            } finally {
                frame.release();
            }
        } else if (data[0] == CLOSE) {
            edges.remove(connId);
            String text = new String(data, 9, data.length - 9, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            ErrorCode code;
            try {
                code = ErrorCode.valueOf(nl < 0 ? text : text.substring(0, nl));
            } catch (IllegalArgumentException e) {
                code = ErrorCode.INTERNAL;
            }
            link.conn().close(code, nl < 0 ? "" : text.substring(nl + 1));
        }
    }

    /** The room {@code roomId} is owned by {@code owner} now (null: by nobody): members relayed elsewhere go. */
    void ownerChanged(String roomId, String owner) {
        for (Map.Entry<String, EdgeLink> e : edges.entrySet()) {
            EdgeLink l = e.getValue();
            if (l.roomId().equals(roomId) && !l.owner().equals(owner) && edges.remove(e.getKey(), l)) {
                l.conn().close(ErrorCode.SERVER_SHUTDOWN, "the room moved to another server; reconnect to resume");
            }
        }
    }

    // ------------------------------------------------------------------ owner side

    private void ownerSide(Message m) {
        String[] t = m.getSubject().split("\\.");
        if (t.length < 4) {
            return;
        }
        switch (t[3]) {
            case "join" -> ownerJoin(m);
            case "msg" -> {
                OwnerLink<?> link = t.length == 6 ? relayed.get(t[4] + "/" + t[5]) : null;
                MessageSink<?> sink = link == null ? null : link.sink;
                byte[] data = m.getData();
                if (sink != null && data.length > 16) {
                    ByteBuffer head = ByteBuffer.wrap(data);
                    long number = head.getLong();
                    long at = head.getLong();
                    if (number != link.received + 1) { // lost on the way: the client reconnects and resends
                        LOG.warn("cluster: relay from {} lost messages {}..{}; the member reconnects", t[4],
                                link.received + 1, number - 1);
                        link.conn.close(ErrorCode.SERVER_SHUTDOWN, "messages were lost between servers; "
                                + "reconnect to resume");
                        relayed.remove(t[4] + "/" + t[5], link);
                        sink.connectionLost();
                        return;
                    }
                    link.received = number;
                    try {
                        link.deliver(Arrays.copyOfRange(data, 16, data.length), at);
                    } catch (RuntimeException e) {
                        LOG.warn("cluster: relayed message from {} not decoded: {}", t[4], e.toString());
                    }
                }
            }
            case "lost" -> {
                OwnerLink<?> link = t.length == 6 ? relayed.remove(t[4] + "/" + t[5]) : null;
                if (link != null && link.sink != null) {
                    link.sink.connectionLost();
                }
            }
            case "ping" -> reply(m, new byte[0]);
            case "admin" -> {
                Function<byte[], CompletableFuture<byte[]>> a = admin;
                if (a != null) {
                    a.apply(m.getData()).whenComplete((answer, e) -> reply(m, answer != null ? answer : new byte[0]));
                }
            }
            default -> {
            }
        }
    }

    private void ownerJoin(Message m) {
        JoinRequest req;
        try {
            req = ProtocolCodec.mapper().readValue(m.getData(), JoinRequest.class);
        } catch (IOException e) {
            LOG.warn("cluster: unreadable relayed join: {}", e.toString());
            return;
        }
        String key = req.edge() + "/" + req.conn();
        RelayedConnection conn = new RelayedConnection(key, "improv.edge." + req.edge() + "." + req.conn(),
                req.remote() + " via " + req.edge(), req.edge());
        if (req.pool() != null) {
            OwnerLink<LobbyRequest> link = new OwnerLink<>(conn,
                    json -> ProtocolCodec.decodeLobby(new java.io.ByteArrayInputStream(json)));
            relayed.put(key, link);
            ownerJoined(m, key, link, local.joinPool(new PoolJoin(req.pool(), req.participantId(), req.displayName(),
                    req.role()), conn));
        } else {
            OwnerLink<ClientMessage> link = new OwnerLink<>(conn, ProtocolCodec::decodeClient);
            relayed.put(key, link);
            ownerJoined(m, key, link, local.joinRoom(new RoomJoin(req.roomId(), req.participantId(),
                    req.displayName(), req.role(), req.lastSeq(), req.capabilities()), conn));
        }
    }

    /** Answers a relayed join once the room or pool here answered it. */
    private <T> void ownerJoined(Message m, String key, OwnerLink<T> link, CompletableFuture<Joined<T>> outcome) {
        outcome.whenComplete((joined, error) -> {
                    String refusal = error != null ? ErrorCode.INTERNAL.name()
                            : joined.refusal() != null ? joined.refusal().name() : null;
                    if (refusal == null) {
                        link.sink = joined.sink();
                    } else {
                        relayed.remove(key, link);
                    }
                    try {
                        reply(m, ProtocolCodec.mapper().writeValueAsBytes(new JoinReply(refusal)));
                    } catch (IOException e) {
                        LOG.error("cluster: join reply not encoded", e);
                    }
                });
    }

    /** How the owner's room writes to a member connected to another node. Thread-safe, never blocks. */
    private final class RelayedConnection implements MemberConnection {
        private final String key;
        private final String subject;
        private final String remote;
        final String edge;
        /** Number of the last message sent to the edge; guarded by this. */
        private long sent;

        RelayedConnection(String key, String subject, String remote, String edge) {
            this.key = key;
            this.subject = subject;
            this.remote = remote;
            this.edge = edge;
        }

        @Override
        public void send(SharedFrame frame) {
            sendBytes(frame.bytes());
        }

        @Override
        public void send(ServerMessage message) {
            sendBytes(ProtocolCodec.encode(message));
        }

        private void sendBytes(byte[] json) {
            numbered(FRAME, json);
        }

        /** Numbered and queued in one step, so that numbers leave in order whichever thread sends. */
        private synchronized void numbered(byte kind, byte[] payload) {
            byte[] body = ByteBuffer.allocate(9 + payload.length).put(kind).putLong(++sent).put(payload).array();
            publish(subject, body);
        }

        @Override
        public void close(ErrorCode code, String reason) {
            relayed.remove(key);
            numbered(CLOSE, (code.name() + "\n" + (reason == null ? "" : reason)).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String remoteAddress() {
            return remote;
        }
    }

    // ------------------------------------------------------------------ both sides

    /**
     * Lease thread, a few times a second: lets go of members whose other end is gone, and once a second measures
     * the round trip to every other node.
     */
    void checkLiveness() {
        for (Map.Entry<String, EdgeLink> e : edges.entrySet()) {
            EdgeLink l = e.getValue();
            if (!node.alive(l.owner()) && edges.remove(e.getKey(), l)) {
                l.conn().close(ErrorCode.SERVER_SHUTDOWN, "the room's server is gone; reconnect to resume");
            }
        }
        for (Map.Entry<String, OwnerLink<?>> e : relayed.entrySet()) {
            OwnerLink<?> l = e.getValue();
            if (!node.alive(l.conn.edge) && relayed.remove(e.getKey(), l) && l.sink != null) {
                l.sink.connectionLost();
            }
        }
        long now = System.nanoTime();
        if (now - lastPing > TimeUnit.SECONDS.toNanos(1)) {
            lastPing = now;
            for (String n : node.nodes()) {
                if (!n.equals(me)) {
                    long start = System.nanoTime();
                    node.nats().requestWithTimeout("improv.node." + n + ".ping", new byte[0], ADMIN_TIMEOUT)
                            .thenAccept(r -> node.metrics().relayRoundTrip(System.nanoTime() - start));
                }
            }
        }
    }

    /** An admin query to another node; completes with its answer, or exceptionally when it does not answer. */
    CompletableFuture<byte[]> ask(String nodeName, byte[] query) {
        return node.nats().requestWithTimeout("improv.node." + nodeName + ".admin", query, ADMIN_TIMEOUT)
                .thenApply(Message::getData);
    }

    private void reply(Message m, byte[] body) {
        if (m.getReplyTo() != null) {
            publish(m.getReplyTo(), body);
        }
    }

    private void publish(String subject, byte[] body) {
        try {
            node.nats().publish(subject, body);
        } catch (RuntimeException e) { // closed connection: the member is let go by the liveness check
            LOG.debug("cluster: relay publish to {} failed: {}", subject, e.toString());
        }
    }
}
