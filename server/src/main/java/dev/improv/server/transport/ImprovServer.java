package dev.improv.server.transport;

import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.HttpRouteHandler;
import dev.improv.server.http.RouteTable;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.FrameFactory;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.routing.Router;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network side and nothing else: event loops (epoll when available, NIO otherwise) and listening sockets that
 * carry HTTP and WebSocket bytes into the handlers. It knows no feature: the composition root
 * ({@code app.ServerApp}) gives it the route tables and the {@link Router}, and takes its event loops as the
 * rooms' owner threads.
 */
public final class ImprovServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImprovServer.class);

    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final boolean epoll;
    private final FrameFactory frames = new ByteBufFrames(PooledByteBufAllocator.DEFAULT);
    private final List<Channel> listeners = new ArrayList<>();

    private ImprovServer(ServerConfig config, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.epoll = switch (config.transport()) {
            case "epoll" -> {
                Epoll.ensureAvailability();
                yield true;
            }
            case "nio" -> false;
            default -> Epoll.isAvailable();
        };
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        // One event loop per core: rooms are pinned to loops, and more loops than cores only adds switching.
        int threads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.workers = new MultiThreadIoEventLoopGroup(threads, io);
    }

    /** Starts the event loops; nothing listens yet. */
    public static ImprovServer open(ServerConfig config, ServerMetrics metrics) {
        return new ImprovServer(config, metrics);
    }

    /** The next event loop, round-robin: the owner thread of a new room or pool (no extra threads). */
    public ScheduledExecutorService nextLoop() {
        return workers.next();
    }

    /** How rooms wrap an encoded event once for all recipients: a pooled direct buffer. */
    public FrameFactory frames() {
        return frames;
    }

    /**
     * Listens on the main address: HTTP routes from {@code routes}, and WebSocket upgrades under {@code /ws/} to
     * rooms and lobbies through {@code router}.
     */
    public InetSocketAddress listen(String host, int port, RouteTable routes, TokenService tokens, Router router,
                                    MicrosClock clock) throws InterruptedException {
        return bind(host, port, new ServerInitializer(config, tokens, router, metrics, clock, handlerFor(routes)));
    }

    /** Listens for HTTP only (the admin listener): no WebSocket upgrades. */
    public InetSocketAddress listenHttpOnly(String host, int port, RouteTable routes) throws InterruptedException {
        return bind(host, port, new ServerInitializer(config, null, null, metrics, null, handlerFor(routes)));
    }

    private static HttpRouteHandler handlerFor(RouteTable routes) {
        return new HttpRouteHandler(routes, ctx -> JoinTimeoutHandler.done(ctx.pipeline()));
    }

    private InetSocketAddress bind(String host, int port, ServerInitializer initializer) throws InterruptedException {
        Class<? extends ServerSocketChannel> channelType = epoll
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        int high = config.writeBufferHighWater();
        Channel listener = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(initializer)
                .bind(host, port)
                .sync()
                .channel();
        synchronized (listeners) {
            listeners.add(listener);
        }
        LOG.info("listening on {} ({}, {} I/O threads{})", listener.localAddress(), transportName(),
                ((MultiThreadIoEventLoopGroup) workers).executorCount(),
                initializer.webSockets() ? "" : ", HTTP only");
        return (InetSocketAddress) listener.localAddress();
    }

    public String transportName() {
        return epoll ? "epoll" : "nio";
    }

    /** Stops accepting connections on every listener; open connections stay until their rooms close them. */
    public void stopListening() throws InterruptedException {
        List<Channel> open;
        synchronized (listeners) {
            open = List.copyOf(listeners);
            listeners.clear();
        }
        for (Channel listener : open) {
            listener.close().sync();
        }
    }

    /** Lets the event loops finish what is queued (at most {@code graceMs}), then stops them. */
    @Override
    public void close() {
        long grace = config.shutdownGraceMs();
        try {
            stopListening();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, grace, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(100, grace, TimeUnit.MILLISECONDS).awaitUninterruptibly(grace * 2);
    }
}
