package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The route handler of one route table on an {@link EmbeddedChannel}: requests in, answers out, no sockets. */
final class HttpChannel implements AutoCloseable {
    static final String KEY = "the-admin-key";

    final EmbeddedChannel channel;

    HttpChannel(Collection<Route> routes) {
        this.channel = new EmbeddedChannel(new HttpRouteHandler(RouteTable.of(routes, r -> true, new AdminAuth(KEY)),
                ctx -> { }));
    }

    record Response(HttpResponseStatus status, HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return ProtocolCodec.mapper().readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(body, e);
            }
        }
    }

    Response send(HttpMethod method, String uri, String body, String contentType, boolean admin) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (admin) {
            request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + KEY);
        }
        channel.writeInbound(request);
        // answers that come from another thread (a disk pool) are queued onto the channel's loop: run it until then;
        // a streamed answer (a head, chunks, then the last chunk) is gathered until its last chunk
        HttpResponse head = null;
        // bytes, decoded once at the end: a chunk boundary may fall inside a multi-byte character
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            channel.runPendingTasks();
            Object out = channel.readOutbound();
            if (out == null) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(method + " " + uri + ": no complete answer within 30 s");
                }
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            try {
                if (out instanceof FullHttpResponse full) {
                    return new Response(full.status(), full.headers().copy(),
                            full.content().toString(StandardCharsets.UTF_8));
                }
                if (out instanceof HttpResponse h) {
                    head = h;
                }
                if (out instanceof HttpContent chunk) {
                    streamed.writeBytes(ByteBufUtil.getBytes(chunk.content()));
                    if (chunk instanceof LastHttpContent) {
                        assertNotNull(head, "a streamed answer without its head");
                        return new Response(head.status(), head.headers().copy(),
                                streamed.toString(StandardCharsets.UTF_8));
                    }
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
    }

    Response admin(HttpMethod method, String uri, String body) {
        return send(method, uri, body, null, true);
    }

    Response get(String uri) {
        return send(HttpMethod.GET, uri, null, null, false);
    }

    @Override
    public void close() {
        org.junit.jupiter.api.Assertions.assertFalse(channel.finishAndReleaseAll(), "nothing left over");
    }
}
