package dev.improv.server.http;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP request and its single answer. Holds a copy of what a handler may read (method, path parameters,
 * query, headers, body bytes), so that the answer may come later from another thread (a pool's owner thread, the
 * disk pool) after Netty released the request. Answering is thread-safe and happens once; a second answer is a
 * bug, logged and dropped.
 */
public final class HttpExchange {
    private static final Logger LOG = LoggerFactory.getLogger(HttpExchange.class);
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    private final ChannelHandlerContext ctx;
    private final HttpMethod method;
    private final String path;
    private final Map<String, String> params;
    private final Map<String, List<String>> query;
    private final HttpHeaders headers;
    private final byte[] body;
    private final boolean keepAlive;
    private final AtomicBoolean answered = new AtomicBoolean();

    HttpExchange(ChannelHandlerContext ctx, HttpMethod method, String path, Map<String, String> params,
                 Map<String, List<String>> query, HttpHeaders headers, byte[] body, boolean keepAlive) {
        this.ctx = ctx;
        this.method = method;
        this.path = path;
        this.params = Map.copyOf(params);
        this.query = query;
        this.headers = headers;
        this.body = body;
        this.keepAlive = keepAlive;
    }

    public HttpMethod method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** A path parameter of the route's pattern ({@code {id}}), URL-decoded; never null for a matched route. */
    public String param(String name) {
        String value = params.get(name);
        if (value == null) {
            throw new IllegalArgumentException("the route has no parameter '" + name + "'");
        }
        return value;
    }

    /** The first value of a query parameter, or null. */
    public String query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * The claims of the join token in the {@code token} query parameter.
     *
     * @throws ApiError.Failure 401 naming the field {@code token} when it is missing, forged or expired
     */
    public JoinClaims joinToken(TokenService tokens) {
        return joinToken(tokens, dev.improv.server.auth.Scope.JOIN);
    }

    /** The same for a token that must allow {@code scope}; 403 when it is valid but does not. */
    public JoinClaims joinToken(TokenService tokens, dev.improv.server.auth.Scope scope) {
        try {
            return tokens.verify(query("token"), scope);
        } catch (TokenException e) {
            throw new ApiError.Failure(HttpResponseStatus.valueOf(e.httpStatus()), ApiError.of(e.code(), "token",
                    e.getMessage()));
        }
    }

    public String header(CharSequence name) {
        return headers.get(name);
    }

    /**
     * The body decoded into {@code type} by the protocol's strict codec (no coercion, no unknown fields, no
     * fractions for whole numbers); an empty body reads as {@code {}}.
     *
     * @throws ProtocolViolation naming the field and the reason (answered as 400)
     */
    public <T> T body(Class<T> type) {
        return ProtocolCodec.decodeStrict(body.length == 0 ? EMPTY_OBJECT : body, type);
    }

    /** The body as sent, for routes whose body is not JSON ({@link ApiDoc#rawBody}). */
    public byte[] body() {
        return body;
    }

    public boolean answered() {
        return answered.get();
    }

    public void json(HttpResponseStatus status, Object value) {
        if (claim()) {
            HttpResponses.sendJson(ctx, keepAlive, status, value);
        }
    }

    public void bytes(HttpResponseStatus status, String contentType, byte[] content) {
        if (claim()) {
            HttpResponses.send(ctx, keepAlive, status, contentType, content);
        }
    }

    /**
     * Where a streamed answer's body comes from: the next chunk, or null at the end. Called on the thread of the
     * executor given to {@link #stream}, one call at a time; {@link #close} once, at the end or on failure.
     */
    public interface ChunkSource extends AutoCloseable {
        byte[] next() throws java.io.IOException;

        @Override
        default void close() throws java.io.IOException {
        }
    }

    /**
     * Answers with a body of unknown length, {@code Transfer-Encoding: chunked}, read from {@code source} on
     * {@code reads} (never on the I/O thread) and paced by the connection: chunks are written while the channel
     * is writable; when it is not, the next chunk is read only once the last one has gone out. So the server holds
     * at most the channel's write buffer and one chunk, however large the body, and a client that stops reading
     * holds one chunk and a waiting callback. A failure after the headers closes the connection (the client sees
     * an incomplete chunked body).
     */
    public void stream(HttpResponseStatus status, String contentType, ChunkSource source,
                       java.util.concurrent.Executor reads) {
        if (!claim()) {
            closeQuietly(source);
            return;
        }
        io.netty.handler.codec.http.HttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status);
        head.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpResponses.securityHeaders(head.headers());
        io.netty.handler.codec.http.HttpUtil.setTransferEncodingChunked(head, true);
        head.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, keepAlive
                ? io.netty.handler.codec.http.HttpHeaderValues.KEEP_ALIVE
                : io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(head);
        reads.execute(() -> pump(source, reads));
    }

    private void pump(ChunkSource source, java.util.concurrent.Executor reads) {
        try {
            while (true) {
                if (!ctx.channel().isActive()) {
                    closeQuietly(source);
                    return;
                }
                byte[] chunk = source.next();
                if (chunk == null) {
                    closeQuietly(source);
                    io.netty.channel.ChannelFuture last = ctx.writeAndFlush(
                            io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
                    if (!keepAlive) {
                        last.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                    }
                    return;
                }
                io.netty.channel.ChannelFuture written = ctx.writeAndFlush(
                        new io.netty.handler.codec.http.DefaultHttpContent(io.netty.buffer.Unpooled.wrappedBuffer(chunk)));
                if (!ctx.channel().isWritable()) { // the buffer is full: go on once this chunk is on the socket
                    written.addListener(f -> {
                        if (f.isSuccess()) {
                            reads.execute(() -> pump(source, reads));
                        } else {
                            closeQuietly(source);
                        }
                    });
                    return;
                }
            }
        } catch (Exception e) {
            LOG.error("HTTP {} {}: the streamed answer failed after its headers; closing the connection", method,
                    path, e);
            closeQuietly(source);
            ctx.close();
        }
    }

    private static void closeQuietly(ChunkSource source) {
        try {
            source.close();
        } catch (Exception e) {
            LOG.debug("closing a streamed answer's source failed", e);
        }
    }

    public void error(HttpResponseStatus status, ApiError error) {
        if (claim()) {
            HttpResponses.sendError(ctx, keepAlive, status, error);
        }
    }

    /**
     * Answers with the value of {@code stage} once it completes, on the thread that completes it: {@code onValue}
     * writes the answer (and may throw {@link ApiError.Failure}); a failed stage is answered by {@link #fail}.
     */
    public <T> void reply(CompletionStage<T> stage, Consumer<T> onValue) {
        stage.whenComplete((value, failure) -> {
            if (failure != null) {
                fail(failure);
                return;
            }
            try {
                onValue.accept(value);
            } catch (RuntimeException e) {
                fail(e);
            }
        });
    }

    /** Answers a failure: a request error names its field; anything else is a 500 and logged. */
    public void fail(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof ApiError.Failure f) {
            error(f.status(), f.error());
        } else if (cause instanceof ProtocolViolation v) {
            error(HttpResponseStatus.BAD_REQUEST, ApiError.of(v));
        } else if (cause instanceof dev.improv.server.routing.OwnerUnreachable u) {
            error(HttpResponseStatus.SERVICE_UNAVAILABLE, new ApiError(ApiError.OWNER_UNREACHABLE, "id",
                    u.getMessage()));
        } else {
            LOG.error("HTTP {} {} failed", method, path, cause);
            error(HttpResponseStatus.INTERNAL_SERVER_ERROR, new ApiError("INTERNAL", null,
                    "the server failed to answer this request"));
        }
    }

    private boolean claim() {
        if (answered.compareAndSet(false, true)) {
            return true;
        }
        LOG.warn("HTTP {} {}: a second answer was dropped", method, path);
        return false;
    }
}
