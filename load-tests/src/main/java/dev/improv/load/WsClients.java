package dev.improv.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The generator's side of many WebSockets: one event loop group (epoll when available), client sockets bound
 * round-robin to 127.0.0.1..127.0.0.K so that one generator is not limited to one address's ephemeral ports.
 */
final class WsClients implements AutoCloseable {
    /** What the scenario hears from its connections; called on the connection's event loop. */
    interface Listener {
        void welcome(Conn conn, long nanos);

        void data(Conn conn, ByteBuf text, long nanos);

        void failed(Conn conn, String why);
    }

    static final int MAX_FRAME_BYTES = 1 << 20;
    static final int HANDSHAKE_TIMEOUT_MS = 30_000;

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final String host;
    private final int port;
    private final List<InetSocketAddress> locals = new ArrayList<>();
    private final AtomicInteger nextLocal = new AtomicInteger();
    private final Dialect dialect;

    WsClients(String host, int port, int threads, int localAddresses, Dialect dialect) throws UnknownHostException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, io);
        this.host = host;
        this.port = port;
        this.dialect = dialect;
        for (int i = 1; i <= localAddresses; i++) {
            locals.add(new InetSocketAddress(InetAddress.getByName("127.0.0." + i), 0));
        }
        this.bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    /** Opens the WebSocket of {@code conn}; the listener hears of its welcome, its frames, or its failure. */
    void connect(Conn conn, Listener listener) {
        // a path "@PORT/ws/…" goes to that port (ClusterDialect spreads a room's members over several nodes)
        String path = conn.member.path();
        int port = this.port;
        if (path.startsWith("@")) {
            port = Integer.parseInt(path.substring(1, path.indexOf('/')));
            path = path.substring(path.indexOf('/'));
        }
        URI uri = URI.create("ws://" + host + ":" + port + path);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(new DefaultHttpHeaders())
                .maxFramePayloadLength(MAX_FRAME_BYTES)
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MS)
                .build();
        conn.connectStartNanos = System.nanoTime();
        InetSocketAddress local = locals.get(Math.floorMod(nextLocal.getAndIncrement(), locals.size()));
        ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                        new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(MAX_FRAME_BYTES),
                        new FrameHandler(conn, listener));
            }
        }).connect(new InetSocketAddress(host, port), local);
        conn.channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                listener.failed(conn, "connect: " + done.cause());
            }
        });
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Frames of one connection to the listener. */
    private final class FrameHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final Conn conn;
        private final Listener listener;

        FrameHandler(Conn conn, Listener listener) {
            this.conn = conn;
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            long now = System.nanoTime();
            if (!(frame instanceof TextWebSocketFrame)) {
                return;
            }
            ByteBuf text = frame.content();
            switch (dialect.classify(ctx.channel(), conn.member, text)) {
                case WELCOME -> {
                    if (conn.welcomeNanos == 0) {
                        conn.welcomeNanos = now;
                        listener.welcome(conn, now);
                    }
                }
                case DATA -> listener.data(conn, text, now);
                case ERROR -> listener.failed(conn, "error frame: "
                        + text.toString(java.nio.charset.StandardCharsets.UTF_8));
                case CONTROL -> {
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            listener.failed(conn, "closed");
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            listener.failed(conn, "exception: " + cause);
            ctx.close();
        }
    }
}
