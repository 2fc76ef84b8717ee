package dev.improv.server.transport;

import dev.improv.server.http.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * The first request of a connection decides what it is. A WebSocket upgrade under {@code /ws/} (from an allowed
 * origin) turns this pipeline into a WebSocket session pipeline; anything else goes on to the HTTP API. One per
 * channel until the upgrade, then removed.
 */
final class HttpRequestRouter extends ChannelInboundHandlerAdapter {
    private final ServerInitializer initializer;
    private final OriginPolicy origins;

    HttpRequestRouter(ServerInitializer initializer, OriginPolicy origins) {
        this.initializer = initializer;
        this.origins = origins;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request) || !request.uri().startsWith("/ws/")) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "upgrade_required",
                    "this address takes WebSocket connections only");
            ReferenceCountUtil.release(request);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        int localPort = ((java.net.InetSocketAddress) ctx.channel().localAddress()).getPort();
        if (!origins.allows(origin, localPort)) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.FORBIDDEN, "origin_not_allowed",
                    "WebSocket connections from origin " + origin + " are not allowed");
            ReferenceCountUtil.release(request);
            return;
        }
        if (!initializer.upgradeAllowed((io.netty.channel.socket.SocketChannel) ctx.channel())) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_connections",
                    "too many WebSocket connections from this address; wait a little");
            ReferenceCountUtil.release(request);
            return;
        }
        initializer.upgradeToWebSocket(ctx.pipeline(), ctx.name(), request.uri());
        ctx.fireChannelRead(request);
        ctx.pipeline().remove(this);
    }
}
