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
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writing HTTP responses: JSON bodies, errors with a code and a sentence, keep-alive handled once here. */
public final class HttpResponses {
    private HttpResponses() {
    }

    public static void sendJson(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, Object body) {
        byte[] json;
        try {
            json = ProtocolCodec.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        send(ctx, request, status, "application/json; charset=utf-8", json);
    }

    public static void sendError(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String code,
                                 String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        sendJson(ctx, request, status, body);
    }

    public static void sendFieldError(ChannelHandlerContext ctx, HttpRequest request, String field, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "invalid_field");
        body.put("field", field);
        body.put("message", message);
        sendJson(ctx, request, HttpResponseStatus.BAD_REQUEST, body);
    }

    public static void send(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status,
                            String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        response.headers().set("X-Content-Type-Options", "nosniff");
        write(ctx, request, response);
    }

    public static void write(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response) {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        boolean keepAlive = request != null && HttpUtil.isKeepAlive(request);
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
