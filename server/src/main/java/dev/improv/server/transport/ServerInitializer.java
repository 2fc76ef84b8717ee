package dev.improv.server.transport;

import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.HttpBodyAggregator;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.routing.Router;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetAddress;

/**
 * Builds pipelines and nothing else. Every connection starts as HTTP; on a listener with WebSockets,
 * {@link HttpRequestRouter} calls {@link #upgradeToWebSocket} for a WebSocket upgrade (the admin listener has
 * none: HTTP only). Limits come from {@link ServerConfig}.
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    /** Largest HTTP request body (admin API JSON). */
    static final int MAX_HTTP_BODY_BYTES = 64 * 1024;
    static final String WEBSOCKET_PATH = "/ws";

    private final ServerConfig config;
    private final TokenService tokens;
    private final Router router;
    private final ServerMetrics metrics;
    private final MicrosClock clock;
    private final ChannelHandler httpApi;
    private final OriginPolicy origins;
    private final WebSocketServerProtocolConfig webSocketConfig;
    private final AddressLimits addressLimits;
    private final ClientErrorLog clientErrors;
    private final HttpInputBudget.Shared inputBudget;
    /** Null on a listener without WebSockets. */
    private final WebSocketInputBudget.Budget webSocketInput;
    /** Null on a listener without WebSockets. */
    private final WebSocketOutputBudget webSocketOutput;

    /** With {@code router} null: HTTP only, no WebSocket upgrades. */
    ServerInitializer(ServerConfig config, TokenService tokens, Router router, ServerMetrics metrics,
                      MicrosClock clock, ChannelHandler httpApi) {
        this.config = config;
        this.tokens = tokens;
        this.router = router;
        this.metrics = metrics;
        this.clock = clock;
        this.httpApi = httpApi;
        this.origins = new OriginPolicy(config.allowedOrigins(), config.publicUrl());
        this.addressLimits = new AddressLimits(config.clients());
        this.clientErrors = new ClientErrorLog(metrics, config.clients().protocolErrorLogsPerMinute());
        this.inputBudget = new HttpInputBudget.Shared(config.clients().httpInputBudgetBytes(), metrics);
        this.webSocketInput = router == null ? null
                : new WebSocketInputBudget.Budget(config.clients().wsInputBudgetBytes(), metrics);
        this.webSocketOutput = router == null ? null
                : new WebSocketOutputBudget(config.clients().wsOutputBudgetBytes(), metrics);
        this.webSocketConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WEBSOCKET_PATH)
                .checkStartsWith(true)
                .handshakeTimeoutMillis(config.joinTimeoutMs())
                .sendCloseFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(config.maxFrameBytes())
                        .allowExtensions(false)
                        .closeOnProtocolViolation(false) // the session closes, with the code counted as the client's
                        .withUTF8Validator(false) // TextFrameUtf8Check does it, after the aggregator
                        .build())
                .build();
    }

    boolean webSockets() {
        return router != null;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        InetAddress address = ch.remoteAddress().getAddress();
        if (!addressLimits.tryOpen(address)) {
            metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
            ch.close();
            return;
        }
        metrics.connectionOpened();
        ch.closeFuture().addListener(f -> {
            addressLimits.closed(address);
            metrics.connectionClosed();
        });
        if (inputBudget.enabled()) {
            ch.pipeline().addLast(HttpInputBudget.NAME, new HttpInputBudget(inputBudget));
        }
        ch.pipeline()
                .addLast(JoinTimeoutHandler.NAME, new JoinTimeoutHandler(config.joinTimeoutMs(), metrics))
                .addLast("http", new HttpServerCodec())
                .addLast("aggregator", new HttpBodyAggregator(MAX_HTTP_BODY_BYTES))
                .addLast(HttpFlowControl.NAME, new HttpFlowControl(config.clients().httpMaxPipelined(),
                        config.clients().httpRequestTimeoutMs(), metrics, clientErrors));
        if (webSockets()) {
            ch.pipeline().addLast("router", new HttpRequestRouter(this, origins));
        }
        ch.pipeline().addLast("api", httpApi);
    }

    /** Takes one WebSocket upgrade from the address's budget ({@code --upgrades-per-second-per-address}). */
    boolean upgradeAllowed(SocketChannel ch) {
        if (addressLimits.tryUpgrade(ch.remoteAddress().getAddress())) {
            return true;
        }
        metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
        return false;
    }

    /**
     * Replaces the HTTP API with the WebSocket handlers for {@code path} (a room or a lobby), right after
     * {@code after}.
     */
    void upgradeToWebSocket(ChannelPipeline p, String after, String path) {
        p.remove("api");
        p.remove(HttpFlowControl.NAME);
        if (p.get(HttpInputBudget.NAME) != null) {
            p.remove(HttpInputBudget.NAME); // unfinished messages count against the WebSocket budget from here on
        }
        // One bucket per connection for messages and pings alike.
        TokenBucket bucket = new TokenBucket(config.messagesPerSecond(), config.messageBurst(), System.nanoTime());
        p.addAfter(after, WebSocketKeepAlive.NAME, new WebSocketKeepAlive(config.pingIntervalMs(),
                config.idleTimeoutMs(), bucket));
        if (webSocketOutput.enabled()) {
            p.channel().attr(WebSocketOutputBudget.KEY).set(webSocketOutput);
        }
        if (webSocketInput.enabled()) {
            // first in the pipeline; its frame counter comes right after the frame decoder the handshake adds in
            // front of the HTTP codec, so before the keep-alive, which takes pings and pongs
            WebSocketInputBudget input = new WebSocketInputBudget(webSocketInput);
            p.addFirst(WebSocketInputBudget.NAME, input);
            p.addBefore(WebSocketKeepAlive.NAME, WebSocketInputBudget.FRAMES_NAME, input.frameCounter());
        }
        long readRate = config.clients().wsReadBytesPerSecond();
        if (readRate > 0) {
            // on raw bytes, before any decoding: over its rate a connection is not read, so it costs no work
            InboundByteRate rate = new InboundByteRate(readRate, metrics);
            if (p.get(WebSocketInputBudget.NAME) != null) {
                p.addAfter(WebSocketInputBudget.NAME, InboundByteRate.NAME, rate);
            } else {
                p.addFirst(InboundByteRate.NAME, rate);
            }
        }
        p.addAfter(WebSocketKeepAlive.NAME, "ws", new WebSocketServerProtocolHandler(webSocketConfig));
        p.addAfter("ws", "ws-aggregator", new WebSocketFrameAggregator(config.maxFrameBytes()));
        p.addAfter("ws-aggregator", TextFrameUtf8Check.NAME, TextFrameUtf8Check.INSTANCE);
        p.addAfter(TextFrameUtf8Check.NAME, "encoder", ServerMessageEncoder.INSTANCE);
        p.addAfter("encoder", "rate", new InboundRateLimiter(bucket, config.messagesPerSecond(), metrics));
        if (path.startsWith(LobbySession.PATH)) {
            p.addAfter("rate", "decoder", JsonMessageDecoder.forLobbies(config.maxMessageBytes(), clock, metrics));
            p.addAfter("decoder", "session", new LobbySession(tokens, router, metrics, clientErrors, addressLimits));
        } else {
            p.addAfter("rate", "decoder", JsonMessageDecoder.forRooms(config.maxMessageBytes(), clock, metrics));
            p.addAfter("decoder", "session", new RoomSession(tokens, router, metrics, clientErrors, addressLimits));
        }
    }
}
