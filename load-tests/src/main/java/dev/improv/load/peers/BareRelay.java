package dev.improv.load.peers;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The smallest WebSocket relay we could write: rooms are URL paths ({@code /ws/rooms/{room}?id=peer}), no auth,
 * no log, no JSON beyond routing. A text frame starting with {@code {"to":"peer"} goes to that peer; any other
 * goes to everyone else in the room. On join the peer gets {@code {"type":"welcome"}}.
 *
 * <p>How it writes is switchable, because that is where the latency goes (see load-tests/README.md):
 * {@code --flush each} is the naive {@code writeAndFlush} per recipient from the reading thread (for a
 * recipient on another event loop that is one task and one syscall per recipient); {@code --flush batch}
 * writes to recipients on the reading loop directly and flushes them once, and hands each other loop one task
 * for all its recipients. {@code --copy} allocates a buffer per recipient instead of a retained duplicate,
 * {@code --consolidate} adds Netty's {@link FlushConsolidationHandler}, {@code --io-threads 0} is Netty's
 * default of twice the cores, {@code --nodelay false} turns Nagle back on.
 */
public final class BareRelay {
    static final String PREFIX = "/ws/rooms/";
    private static final AttributeKey<String> ROOM = AttributeKey.valueOf("room");
    private static final byte[] TO = "{\"to\":\"".getBytes(StandardCharsets.US_ASCII);

    /** Write strategy knobs, see the class comment. */
    public record Options(int ioThreads, boolean batch, boolean copy, boolean consolidate, boolean noDelay) {
        public static Options naive() {
            return new Options(0, false, false, false, true);
        }

        public static Options tuned() {
            return new Options(Runtime.getRuntime().availableProcessors(), true, false, false, true);
        }

        /**
         * "naive", "tuned", or naive with '+'-joined changes: {@code Nt} (N event loops), {@code batch},
         * {@code consolidate}, {@code copy}, {@code nagle}; e.g. {@code batch+2t}.
         */
        public static Options parse(String preset) {
            if (preset.equals("tuned")) {
                return tuned();
            }
            Options o = naive();
            for (String part : preset.split("\\+")) {
                if (part.equals("naive") || part.isEmpty()) {
                    continue;
                }
                if (part.endsWith("t")) {
                    o = new Options(Integer.parseInt(part.substring(0, part.length() - 1)), o.batch, o.copy,
                            o.consolidate, o.noDelay);
                } else {
                    o = switch (part) {
                        case "batch" -> new Options(o.ioThreads, true, o.copy, o.consolidate, o.noDelay);
                        case "consolidate" -> new Options(o.ioThreads, o.batch, o.copy, true, o.noDelay);
                        case "copy" -> new Options(o.ioThreads, o.batch, true, o.consolidate, o.noDelay);
                        case "nagle" -> new Options(o.ioThreads, o.batch, o.copy, o.consolidate, false);
                        default -> throw new IllegalArgumentException("unknown preset part " + part);
                    };
                }
            }
            return o;
        }
    }

    private final Options options;
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoopGroup workers;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private Channel listener;

    /** Members of one room; any thread. */
    private static final class Room {
        final List<Channel> members = new CopyOnWriteArrayList<>();
        final Map<String, Channel> byId = new ConcurrentHashMap<>();
    }

    private BareRelay(Options options) {
        this.options = options;
        this.workers = new MultiThreadIoEventLoopGroup(options.ioThreads(), EpollIoHandler.newFactory());
    }

    public static BareRelay start(String host, int port, Options options) throws InterruptedException {
        BareRelay relay = new BareRelay(options);
        relay.listener = new ServerBootstrap().group(relay.boss, relay.workers)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, options.noDelay())
                .childHandler(relay.new Initializer())
                .bind(host, port).sync().channel();
        return relay;
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public void close() {
        listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    public static void main(String[] argv) throws Exception {
        String host = "127.0.0.1";
        int port = 8081;
        Options o = Options.naive();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            String v = argv[i + 1];
            switch (argv[i]) {
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--preset" -> o = Options.parse(v);
                case "--io-threads" -> o = new Options(Integer.parseInt(v), o.batch(), o.copy(), o.consolidate(), o.noDelay());
                case "--flush" -> o = new Options(o.ioThreads(), v.equals("batch"), o.copy(), o.consolidate(), o.noDelay());
                case "--copy" -> o = new Options(o.ioThreads(), o.batch(), Boolean.parseBoolean(v), o.consolidate(), o.noDelay());
                case "--consolidate" -> o = new Options(o.ioThreads(), o.batch(), o.copy(), Boolean.parseBoolean(v), o.noDelay());
                case "--nodelay" -> o = new Options(o.ioThreads(), o.batch(), o.copy(), o.consolidate(), Boolean.parseBoolean(v));
                default -> throw new IllegalArgumentException("unknown flag " + argv[i]);
            }
        }
        BareRelay relay = start(host, port, o);
        System.out.println("bare relay listening on port " + relay.port() + " " + o);
        Runtime.getRuntime().addShutdownHook(new Thread(relay::close, "shutdown"));
        Thread.currentThread().join();
    }

    private final class Initializer extends ChannelInitializer<SocketChannel> {
        private final WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws").checkStartsWith(true).maxFramePayloadLength(1 << 20).build();

        @Override
        protected void initChannel(SocketChannel ch) {
            if (options.consolidate()) {
                ch.pipeline().addLast(new FlushConsolidationHandler(256, true));
            }
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                    new WebSocketServerProtocolHandler(ws), HEALTH, new RelayHandler());
        }
    }

    /** Any plain HTTP request (not an upgrade under /ws) is a health check. */
    private static final ChannelHandler HEALTH = new Health();

    @ChannelHandler.Sharable
    private static final class Health extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private final class RelayHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
        private Room room;
        private String id;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
                QueryStringDecoder q = new QueryStringDecoder(hs.requestUri());
                String path = q.path();
                if (!path.startsWith(PREFIX) || !q.parameters().containsKey("id")) {
                    ctx.close();
                    return;
                }
                String roomId = path.substring(PREFIX.length());
                id = q.parameters().get("id").get(0);
                room = rooms.computeIfAbsent(roomId, k -> new Room());
                ctx.channel().attr(ROOM).set(roomId);
                room.members.add(ctx.channel());
                room.byId.put(id, ctx.channel());
                ctx.writeAndFlush(new TextWebSocketFrame("{\"type\":\"welcome\",\"id\":\"" + id + "\"}"));
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (room != null) {
                room.members.remove(ctx.channel());
                room.byId.remove(id, ctx.channel());
            }
            super.channelInactive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (room == null || !(frame instanceof TextWebSocketFrame)) {
                return;
            }
            ByteBuf content = frame.content();
            String to = target(content);
            if (to != null) {
                Channel peer = room.byId.get(to);
                if (peer != null) {
                    peer.writeAndFlush(new TextWebSocketFrame(payload(content)), peer.voidPromise());
                }
                return;
            }
            if (options.batch()) {
                broadcastBatched(ctx.channel(), content);
            } else {
                for (Channel c : room.members) {
                    if (c != ctx.channel()) {
                        c.writeAndFlush(new TextWebSocketFrame(payload(content)), c.voidPromise());
                    }
                }
            }
        }

        private ByteBuf payload(ByteBuf content) {
            return options.copy() ? Unpooled.copiedBuffer(content) : content.retainedDuplicate();
        }

        /** Recipients on this loop: write, then one flush each; recipients on other loops: one task per loop. */
        private void broadcastBatched(Channel self, ByteBuf content) {
            EventLoop mine = self.eventLoop();
            Map<EventLoop, List<Channel>> others = null;
            List<Channel> local = new ArrayList<>(8);
            for (Channel c : room.members) {
                if (c == self) {
                    continue;
                }
                if (c.eventLoop() == mine) {
                    c.write(new TextWebSocketFrame(payload(content)), c.voidPromise());
                    local.add(c);
                } else {
                    if (others == null) {
                        others = new IdentityHashMap<>();
                    }
                    others.computeIfAbsent(c.eventLoop(), l -> new ArrayList<>(8)).add(c);
                }
            }
            for (Channel c : local) {
                c.flush();
            }
            if (others != null) {
                for (Map.Entry<EventLoop, List<Channel>> e : others.entrySet()) {
                    List<Channel> targets = e.getValue();
                    List<ByteBuf> bufs = new ArrayList<>(targets.size());
                    for (int i = 0; i < targets.size(); i++) {
                        bufs.add(payload(content));
                    }
                    e.getKey().execute(() -> {
                        for (int i = 0; i < targets.size(); i++) {
                            Channel c = targets.get(i);
                            c.write(new TextWebSocketFrame(bufs.get(i)), c.voidPromise());
                        }
                        for (Channel c : targets) {
                            c.flush();
                        }
                    });
                }
            }
        }
    }

    /** The peer id of a frame starting with {"to":"id", or null. */
    static String target(ByteBuf b) {
        int at = b.readerIndex();
        int end = b.writerIndex();
        if (end - at < TO.length + 1) {
            return null;
        }
        for (int i = 0; i < TO.length; i++) {
            if (b.getByte(at + i) != TO[i]) {
                return null;
            }
        }
        int start = at + TO.length;
        int quote = b.indexOf(start, end, (byte) '"');
        return quote < 0 ? null : b.toString(start, quote - start, StandardCharsets.US_ASCII);
    }
}
