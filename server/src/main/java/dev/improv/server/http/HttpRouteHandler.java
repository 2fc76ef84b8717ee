package dev.improv.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP pipeline: looks the request up in the listener's {@link RouteTable} and runs the
 * route, or answers 400 (malformed), 404 (unknown path), 405 with {@code Allow} (known path, other method) or 415
 * (a body that is not JSON). Stateless, so one instance serves every channel of a listener.
 */
@ChannelHandler.Sharable
public final class HttpRouteHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpRouteHandler.class);

    private final RouteTable routes;
    /** Told on every request: this connection is a working HTTP client (the transport stops its join timer). */
    private final Consumer<ChannelHandlerContext> served;

    public HttpRouteHandler(RouteTable routes, Consumer<ChannelHandlerContext> served) {
        this.routes = routes;
        this.served = served;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            HttpResponses.sendError(ctx, false, HttpResponseStatus.BAD_REQUEST,
                    new ApiError(ApiError.BAD_REQUEST, null, "malformed request"));
            return;
        }
        served.accept(ctx);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        RouteTable.Match match = routes.match(request.method(), uri.rawPath());
        if (match instanceof RouteTable.NotFound) {
            HttpResponses.sendError(ctx, keepAlive, HttpResponseStatus.NOT_FOUND,
                    new ApiError(ApiError.NOT_FOUND, null, "nothing at " + clip(uri.path())));
            return;
        }
        if (match instanceof RouteTable.WrongMethod wrong) {
            String allow = wrong.allowed().stream().map(HttpMethod::name).collect(Collectors.joining(", "));
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.METHOD_NOT_ALLOWED, io.netty.buffer.Unpooled.wrappedBuffer(json(
                    new ApiError(ApiError.METHOD_NOT_ALLOWED, null, request.method() + " is not supported here; "
                            + "use " + allow))));
            response.headers().set(HttpHeaderNames.ALLOW, allow);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
            HttpResponses.write(ctx, keepAlive, response);
            return;
        }
        RouteTable.Found found = (RouteTable.Found) match;
        String rawBody = found.route().doc() == null ? null : found.route().doc().rawBody();
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (rawBody != null && request.content().isReadable() && !hasType(contentType, rawBody)) {
            HttpResponses.sendError(ctx, keepAlive, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    new ApiError(ApiError.UNSUPPORTED_MEDIA_TYPE, null, "this body is '" + rawBody + "'"));
            return;
        }
        if (rawBody == null && request.content().isReadable() && !isJson(contentType)) {
            HttpResponses.sendError(ctx, keepAlive, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    new ApiError(ApiError.UNSUPPORTED_MEDIA_TYPE, null,
                            "request bodies are JSON: send 'Content-Type: application/json'"));
            return;
        }
        HttpExchange exchange = new HttpExchange(ctx, request.method(), uri.path(), found.params(), uri.parameters(),
                request.headers().copy(), ByteBufUtil.getBytes(request.content()), keepAlive);
        try {
            found.handler().handle(exchange);
        } catch (Exception e) {
            exchange.fail(e);
        }
    }

    /** A body without a content type is taken as JSON (what HTTP clients send by default); any other type is not. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return true;
        }
        String mime = contentType.split(";", 2)[0].trim();
        return mime.equalsIgnoreCase(HttpHeaderValues.APPLICATION_JSON.toString());
    }

    private static boolean hasType(String contentType, String wanted) {
        return contentType != null && contentType.split(";", 2)[0].trim().equalsIgnoreCase(wanted);
    }

    private static byte[] json(ApiError error) {
        try {
            return dev.improv.server.protocol.ProtocolCodec.mapper().writeValueAsBytes(error.body());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
