package dev.improv.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.improv.server.protocol.ProtocolCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Writing HTTP responses: JSON bodies, errors in the protocol's shape, the security headers on every answer, and
 * keep-alive handled once here. Safe from any thread (Netty queues the write onto the channel's event loop).
 */
public final class HttpResponses {
    /**
     * The pages load scripts, styles and the audio worklet from this server only, open WebSockets back to it, and
     * may not be framed. {@code 'unsafe-inline'} for styles: the pages use a few {@code style} attributes.
     * {@code ws: wss:} besides {@code 'self'}: older Safari does not count WebSockets to the same host as 'self'.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
            + "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private static final String JSON = "application/json; charset=utf-8";

    private HttpResponses() {
    }

    public static void sendJson(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, Object body) {
        send(ctx, keepAlive, status, JSON, json(body));
    }

    private static byte[] json(Object body) {
        try {
            return ProtocolCodec.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void sendError(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status,
                                 ApiError error) {
        sendJson(ctx, keepAlive, status, error.body());
    }

    /**
     * An error answer given before the request's body was read (the body is too large): the connection closes
     * after it, but lingers to drain what the client is still sending so the answer is not lost to a reset.
     */
    public static void sendErrorBeforeBody(ChannelHandlerContext ctx, HttpResponseStatus status, ApiError error) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(json(error.body())));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
        securityHeaders(response.headers());
        HttpUtil.setContentLength(response, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        LingeringClose.after(ctx.writeAndFlush(response), ctx);
    }

    /** An error answer to {@code request} (used before any route is chosen, e.g. a refused WebSocket upgrade). */
    public static void sendError(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status,
                                 String code, String message) {
        sendError(ctx, HttpUtil.isKeepAlive(request), status, new ApiError(code, null, message));
    }

    public static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status,
                            String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        write(ctx, keepAlive, response);
    }

    /** Sends {@code response} with the common headers; closes the connection after it unless kept alive. */
    public static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        securityHeaders(response.headers());
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Tokens travel in page URLs: no referrer, no framing, no sniffing, no caching, scripts from here only. */
    static void securityHeaders(HttpHeaders headers) {
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    }
}
