package dev.improv.server.transport;

import dev.improv.server.auth.IceServers;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.HttpApiHandler;
import dev.improv.server.http.PoolApi;
import dev.improv.server.http.PromptLibrary;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.media.InProcessMediaRecording;
import dev.improv.server.http.StaticFiles;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.room.MicrosClock;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.SessionJournal;
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
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the server: event loops (epoll when available, NIO otherwise), the one listening socket for
 * HTTP and WebSocket, and the components behind it. Nothing else.
 */
public final class ImprovServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImprovServer.class);

    /** What the server is made of, for callers that add features (session log, lobby) and for tests. */
    public record Parts(ServerConfig config, ServerMetrics metrics, RoomRegistry rooms, LobbyRegistry lobbies,
                        TokenService tokens, JoinLinks links, MicrosClock clock) {
    }

    /** Features built from the server's parts: the session journal and extra HTTP routes. */
    public interface Features extends AutoCloseable {
        SessionJournal journal();

        List<HttpApiHandler.ApiExtension> httpExtensions(Parts parts);

        /** Flushes and stops whatever the features run (e.g. the log writer). Called after rooms closed. */
        @Override
        void close();

        static Features none() {
            return new Features() {
                @Override
                public SessionJournal journal() {
                    return SessionJournal.none();
                }

                @Override
                public List<HttpApiHandler.ApiExtension> httpExtensions(Parts parts) {
                    return List.of();
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private final ServerConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Parts parts;
    private final Features features;
    private final String transportName;
    private final InProcessMediaRecording media;
    private final PromptLibrary promptLibrary;
    private Channel listener;
    private volatile boolean stopped;

    private ImprovServer(ServerConfig config, ServerMetrics metrics, Function<ServerMetrics, Features> featureFactory) {
        this.config = config;
        TokenService tokens = TokenService.load(config.tokens(), Clock.systemUTC());
        try { // files first: a bad file must fail before any thread is started
            this.promptLibrary = PromptLibrary.load(tokens, config.promptLibrary());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the prompt library " + config.promptLibrary() + ": " + e, e);
        }
        boolean epoll = switch (config.transport()) {
            case "epoll" -> {
                Epoll.ensureAvailability();
                yield true;
            }
            case "nio" -> false;
            default -> Epoll.isAvailable();
        };
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.transportName = epoll ? "epoll" : "nio";
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        // One event loop per core: rooms are pinned to loops, and more loops than cores only adds switching.
        int threads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.workers = new MultiThreadIoEventLoopGroup(threads, io);
        this.features = featureFactory.apply(metrics);
        MicrosClock clock = MicrosClock.monotonic();
        RoomRegistry rooms = new RoomRegistry(workers::next, new ByteBufFrames(PooledByteBufAllocator.DEFAULT), clock,
                metrics, features.journal(), ServerCommand.serverVersion());
        JoinLinks links = new JoinLinks(tokens, config.publicUrl(), config.linkTtlSeconds(), Clock.systemUTC());
        LobbyRegistry lobbies = new LobbyRegistry(workers::next, rooms, links, config.roomLimits(), clock,
                config.roomLimits().resumeWindowMs());
        this.parts = new Parts(config, metrics, rooms, lobbies, tokens, links, clock);
        this.media = config.media().enabled() ? new InProcessMediaRecording(config.dataDir(), config.media().maxRooms(),
                InProcessMediaRecording.ConsentSource.valueOf(config.media().consentFrom().toUpperCase()),
                config.media().videoFps(), rooms)
                : null;
    }

    /**
     * Binds and starts serving.
     *
     * @param featureFactory builds the optional features once metrics exist; {@code m -> Features.none()} for
     *                       none
     */
    public static ImprovServer start(ServerConfig config, Function<ServerMetrics, Features> featureFactory)
            throws InterruptedException {
        ImprovServer server = new ImprovServer(config, new ServerMetrics(), featureFactory);
        try {
            server.bind();
        } catch (InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void bind() throws InterruptedException {
        Class<? extends ServerSocketChannel> channelType = transportName.equals("epoll")
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        HttpApiHandler api = new HttpApiHandler(parts.rooms(), parts.links(), parts.tokens(),
                new IceServers(config.ice(), Clock.systemUTC()), parts.metrics(), StaticFiles.load("web"),
                config.adminKey(), config.roomLimits(), extensions(),
                ctx -> JoinTimeoutHandler.done(ctx.pipeline()),
                media == null ? null : token -> media.record(loopbackBase(), token));
        ServerInitializer initializer = new ServerInitializer(config, parts.tokens(), parts.rooms(), parts.lobbies(),
                parts.metrics(), parts.clock(), api);
        int high = config.writeBufferHighWater();
        listener = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(initializer)
                .bind(config.host(), config.port())
                .sync()
                .channel();
        LOG.info("listening on {} ({}, {} I/O threads)", listener.localAddress(), transportName,
                ((MultiThreadIoEventLoopGroup) workers).executorCount());
    }

    private List<HttpApiHandler.ApiExtension> extensions() {
        List<HttpApiHandler.ApiExtension> all = new java.util.ArrayList<>(features.httpExtensions(parts));
        all.add(new PoolApi(parts.lobbies(), parts.links()));
        all.add(promptLibrary);
        all.add(new dev.improv.server.auth.http.TokenRoutes(parts.tokens(), config.tokens()));
        return all;
    }

    /** Where in-process clients (the media recorder) reach this server. */
    private String loopbackBase() {
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        return "ws://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public Parts parts() {
        return parts;
    }

    public String transportName() {
        return transportName;
    }

    /**
     * Graceful stop: no new connections; every room tells its members (close code 1001) and closes its log;
     * the features flush; then the event loops finish what is queued.
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
            if (listener != null) {
                listener.close().sync();
            }
            parts.lobbies().closeAll();
            if (!parts.rooms().closeAll("the server is shutting down", ErrorCode.SERVER_SHUTDOWN, grace,
                    TimeUnit.MILLISECONDS)) {
                LOG.warn("some rooms did not close within {} ms", grace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (media != null) {
                media.close();
            }
            features.close();
            boss.shutdownGracefully(0, grace, TimeUnit.MILLISECONDS);
            workers.shutdownGracefully(100, grace, TimeUnit.MILLISECONDS).awaitUninterruptibly(grace * 2);
        }
    }
}
