package dev.improv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.IceServers;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenService;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.RoomSummary;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes plain HTTP requests: health, metrics, the admin API and static files. Stateless, so one instance
 * serves every channel. Everything it does is in memory and quick, so it runs on the I/O thread.
 */
@ChannelHandler.Sharable
public final class HttpApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApiHandler.class);
    private static final int MAX_LINKS_PER_ROLE = 32;
    private static final int MAX_NAME_CHARS = 80;

    private final RoomRegistry rooms;
    private final JoinLinks links;
    private final ServerMetrics metrics;
    private final StaticFiles files;
    private final String adminKey;
    private final RoomLimits defaultLimits;
    private final List<ApiExtension> extensions;
    private final TokenService tokens;
    private final IceServers ice;
    /** Told on every request: this connection is a working HTTP client (stops the join timeout). */
    private final java.util.function.Consumer<ChannelHandlerContext> proved;
    /** Starts recording a room's media given a recorder token; null when media recording is off. */
    private final java.util.function.Function<String, java.util.concurrent.CompletableFuture<Void>> recordMedia;

    /** More routes, contributed by other features (session export, lobby) without growing this class. */
    public interface ApiExtension {
        /** Handles the request and returns true, or returns false when the path is not its own. */
        boolean handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, boolean admin);
    }

    public HttpApiHandler(RoomRegistry rooms, JoinLinks links, TokenService tokens, IceServers ice,
                          ServerMetrics metrics, StaticFiles files, String adminKey, RoomLimits defaultLimits,
                          List<ApiExtension> extensions, java.util.function.Consumer<ChannelHandlerContext> proved,
                          java.util.function.Function<String, java.util.concurrent.CompletableFuture<Void>> recordMedia) {
        this.proved = proved;
        this.recordMedia = recordMedia;
        this.tokens = tokens;
        this.ice = ice;
        this.rooms = rooms;
        this.links = links;
        this.metrics = metrics;
        this.files = files;
        this.adminKey = adminKey;
        this.defaultLimits = defaultLimits;
        this.extensions = List.copyOf(extensions);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request");
            return;
        }
        proved.accept(ctx);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        try {
            if (path.equals("/healthz")) {
                health(ctx, request);
            } else if (path.equals("/metrics")) {
                HttpResponses.send(ctx, request, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(StandardCharsets.UTF_8));
            } else if (path.startsWith("/api/")) {
                api(ctx, request, uri);
            } else {
                staticFile(ctx, request, path);
            }
        } catch (BadRequest e) {
            HttpResponses.sendFieldError(ctx, request, e.field, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("HTTP {} {} failed", request.method(), path, e);
            HttpResponses.sendError(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal",
                    "the server failed to answer this request");
        }
    }

    private void health(ChannelHandlerContext ctx, FullHttpRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        body.put("rooms", metrics.openRooms());
        body.put("connections", metrics.openConnections());
        HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, body);
    }

    private void api(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
        boolean admin = isAdmin(request);
        for (ApiExtension extension : extensions) {
            if (extension.handle(ctx, request, uri, admin)) {
                return;
            }
        }
        String[] parts = uri.path().substring(1).split("/");
        // parts[0] == "api"
        if (parts.length == 2 && parts[1].equals("ice")) {
            iceServers(ctx, request, uri);
            return;
        }
        if (parts.length < 2 || !parts[1].equals("rooms")) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found", "no such API");
            return;
        }
        if (!admin) {
            unauthorized(ctx, request);
            return;
        }
        HttpMethod method = request.method();
        if (parts.length == 2 && method.equals(HttpMethod.GET)) {
            List<RoomSummary> all = rooms.all().stream().map(Room::summary).toList();
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, Map.of("rooms", all));
        } else if (parts.length == 2 && method.equals(HttpMethod.POST)) {
            createRoom(ctx, request);
        } else if (parts.length >= 3) {
            Room room = rooms.get(parts[2]);
            if (room == null) {
                HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "room_not_found",
                        "no open room '" + parts[2] + "'");
            } else if (parts.length == 3 && method.equals(HttpMethod.GET)) {
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, room.summary());
            } else if (parts.length == 3 && method.equals(HttpMethod.DELETE)) {
                rooms.close(room.id(), "closed by the operator");
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, Map.of("closed", room.id()));
            } else if (parts.length == 4 && parts[3].equals("links") && method.equals(HttpMethod.POST)) {
                JsonNode body = jsonBody(request);
                Role role = role(body.path("role"));
                String name = optionalName(body.path("name"), "name");
                long ttl = body.path("ttlSeconds").asLong(0);
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.CREATED, links.forRoom(room.id(), role, name, ttl));
            } else {
                HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                        method + " is not supported here");
            }
        } else {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                    method + " is not supported here");
        }
    }

    /** {@code GET /api/ice?token=...}: the RTCConfiguration for the holder of a valid join token. */
    private void iceServers(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
        List<String> token = uri.parameters().get("token");
        try {
            JoinClaims claims = tokens.verify(token == null ? null : token.get(0), dev.improv.server.auth.Scope.ICE);
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, ice.forParticipant(claims.pid()));
        } catch (TokenException e) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.valueOf(e.httpStatus()), e.code().name(),
                    e.getMessage());
        }
    }

    /**
     * {@code POST /api/rooms} with an optional JSON body: {@code name}, {@code performers} (names or a count),
     * {@code moderators}, {@code recorders}, {@code observers}, {@code maxPerformers}, {@code ttlSeconds}.
     */
    private void createRoom(ChannelHandlerContext ctx, FullHttpRequest request) {
        JsonNode body = jsonBody(request);
        String name = optionalName(body.path("name"), "name");
        RoomLimits limits = defaultLimits;
        if (body.has("maxPerformers")) {
            int max = body.path("maxPerformers").asInt(-1);
            if (max < 1 || max > limits.maxMembers()) {
                throw new BadRequest("maxPerformers", "'maxPerformers' must be 1.." + limits.maxMembers());
            }
            limits = limits.withMaxFor(Role.PERFORMER, max);
        }
        long ttl = body.path("ttlSeconds").asLong(0);
        if (ttl < 0) {
            throw new BadRequest("ttlSeconds", "'ttlSeconds' must not be negative");
        }
        boolean media = body.path("recordMedia").asBoolean(false);
        if (media && recordMedia == null) {
            throw new BadRequest("recordMedia", "media recording is off on this server (--media-recorder)");
        }
        Map<Role, List<String>> wanted = new LinkedHashMap<>();
        wanted.put(Role.PERFORMER, names(body, "performers", 2));
        wanted.put(Role.MODERATOR, names(body, "moderators", 1));
        wanted.put(Role.RECORDER, names(body, "recorders", 1));
        wanted.put(Role.OBSERVER, names(body, "observers", 1));
        Room room = rooms.create(name == null ? "Room" : name, limits);
        List<JoinLinks.Link> issued = new ArrayList<>();
        wanted.forEach((role, names) -> names.forEach(n -> issued.add(links.forRoom(room.id(), role, n, ttl))));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("room", room.summary());
        out.put("links", issued);
        if (!media) {
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.CREATED, out);
            return;
        }
        // The recorder joins as a recorder named "media-recorder": performer pages send it their audio.
        JoinLinks.Link recorder = links.forRoom(room.id(), Role.RECORDER, "media-recorder", ttl);
        recordMedia.apply(recorder.token()).whenComplete((ok, failure) -> {
            out.put("media", failure == null ? "recording" : "failed: " + rootMessage(failure));
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.CREATED, out);
        });
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private static List<String> names(JsonNode body, String field, int defaultCount) {
        JsonNode node = body.path(field);
        List<String> out = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            for (int i = 0; i < defaultCount; i++) {
                out.add(null);
            }
        } else if (node.isInt()) {
            if (node.asInt() < 0 || node.asInt() > MAX_LINKS_PER_ROLE) {
                throw new BadRequest(field, "'" + field + "' must be 0.." + MAX_LINKS_PER_ROLE);
            }
            for (int i = 0; i < node.asInt(); i++) {
                out.add(null);
            }
        } else if (node.isArray()) {
            if (node.size() > MAX_LINKS_PER_ROLE) {
                throw new BadRequest(field, "'" + field + "' may list at most " + MAX_LINKS_PER_ROLE + " names");
            }
            for (JsonNode n : node) {
                out.add(optionalName(n, field));
            }
        } else {
            throw new BadRequest(field, "'" + field + "' must be a count or a list of names");
        }
        return out;
    }

    private static String optionalName(JsonNode node, String field) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.asText().isBlank() || node.asText().length() > MAX_NAME_CHARS) {
            throw new BadRequest(field, "'" + field + "' must be a non-empty text of at most " + MAX_NAME_CHARS
                    + " characters");
        }
        return node.asText();
    }

    private static Role role(JsonNode node) {
        if (!node.isTextual()) {
            throw new BadRequest("role", "'role' is required: performer, moderator, recorder or observer");
        }
        try {
            return Role.fromWire(node.asText());
        } catch (RuntimeException e) {
            throw new BadRequest("role", "'role' must be performer, moderator, recorder or observer");
        }
    }

    /** The request's JSON object body; an empty body reads as {}. */
    public static JsonNode jsonBody(FullHttpRequest request) {
        if (request.content().readableBytes() == 0) {
            return ProtocolCodec.mapper().createObjectNode();
        }
        try {
            JsonNode node = ProtocolCodec.mapper().readTree(new ByteBufInputStream(request.content().duplicate()));
            if (node == null || !node.isObject()) {
                throw new BadRequest(null, "the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new BadRequest(null, "the body is not valid JSON");
        }
    }

    private boolean isAdmin(FullHttpRequest request) {
        String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String presented = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim()
                : request.headers().get("X-Admin-Key");
        return TokenService.adminKeyMatches(presented, adminKey);
    }

    public static void unauthorized(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpResponses.sendError(ctx, request, HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                "send the admin key as 'Authorization: Bearer <key>'");
    }

    private void staticFile(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                    "static files are read with GET");
            return;
        }
        StaticFiles.Asset asset = files.get(path);
        if (asset == null) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found", "no such page: " + path);
            return;
        }
        HttpResponses.send(ctx, request, HttpResponseStatus.OK, asset.contentType(), asset.body());
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

    /** A request the client must fix: the field and the reason go back as a 400. */
    public static final class BadRequest extends RuntimeException {
        private final String field;

        public BadRequest(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }
}
