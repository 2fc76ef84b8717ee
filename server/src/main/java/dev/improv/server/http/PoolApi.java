package dev.improv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyHub;
import dev.improv.server.match.LobbyRegistry;
import dev.improv.server.match.MatchRules;
import dev.improv.server.protocol.Role;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Admin API of open calls ("pools"): open a pool with its consent text, issue lobby links, watch it, and read
 * performers' time accounting. Answers that need the pool's own thread are written from that thread.
 */
public final class PoolApi implements HttpApiHandler.ApiExtension {
    private static final Pattern POOL_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final int MAX_CONSENT_CHARS = 20_000;

    private final LobbyRegistry lobbies;
    private final JoinLinks links;

    public PoolApi(LobbyRegistry lobbies, JoinLinks links) {
        this.lobbies = lobbies;
        this.links = links;
    }

    @Override
    public boolean handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, boolean admin) {
        String[] parts = uri.path().substring(1).split("/");
        if (parts.length < 2 || !parts[1].equals("pools")) {
            return false;
        }
        if (!admin) {
            HttpApiHandler.unauthorized(ctx, request);
            return true;
        }
        HttpMethod method = request.method();
        if (parts.length == 2 && method.equals(HttpMethod.POST)) {
            open(ctx, request);
        } else if (parts.length == 2 && method.equals(HttpMethod.GET)) {
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK,
                    Map.of("pools", lobbies.all().stream().map(LobbyHub::summary).toList()));
        } else if (parts.length >= 3) {
            LobbyHub hub = lobbies.get(parts[2]);
            if (hub == null) {
                HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "pool_not_found",
                        "no open pool '" + parts[2] + "'");
            } else if (parts.length == 3 && method.equals(HttpMethod.GET)) {
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, hub.summary());
            } else if (parts.length == 4 && parts[3].equals("links") && method.equals(HttpMethod.POST)) {
                JsonNode body = HttpApiHandler.jsonBody(request);
                Role role = lobbyRole(body.path("role"));
                String name = body.path("name").isTextual() ? body.path("name").asText() : null;
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.CREATED,
                        links.forPool(hub.pool(), role, name, body.path("ttlSeconds").asLong(0)));
            } else if (parts.length == 4 && parts[3].equals("time") && method.equals(HttpMethod.GET)) {
                hub.allTimes(times -> HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK,
                        Map.of("pool", hub.pool(), "performers", times)));
            } else if (parts.length == 6 && parts[3].equals("performers") && parts[5].equals("time")
                    && method.equals(HttpMethod.GET)) {
                hub.timeOf(parts[4], time -> HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, time));
            } else {
                HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found", "no such pool API");
            }
        } else {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                    method + " is not supported here");
        }
        return true;
    }

    /**
     * {@code POST /api/pools}: {@code id}, {@code consentVersion}, {@code consentText} (required); {@code roomSize}
     * (2), {@code offerTimeoutMs} (30000), {@code moderatorCapacity} (3), {@code requireModerator} (false),
     * {@code recentSessions} (3), {@code relaxTagsAfterMs} (60000), {@code relaxRepeatAfterMs} (120000).
     */
    private void open(ChannelHandlerContext ctx, FullHttpRequest request) {
        JsonNode body = HttpApiHandler.jsonBody(request);
        String id = body.path("id").asText("");
        if (!POOL_ID.matcher(id).matches()) {
            throw new HttpApiHandler.BadRequest("id", "'id' must be 1-40 of a-z, 0-9 and '-', starting with a letter "
                    + "or digit");
        }
        if (!body.path("consentVersion").canConvertToInt() || body.path("consentVersion").asInt() < 1) {
            throw new HttpApiHandler.BadRequest("consentVersion", "'consentVersion' must be a whole number >= 1");
        }
        String consent = body.path("consentText").asText("");
        if (consent.isBlank() || consent.length() > MAX_CONSENT_CHARS) {
            throw new HttpApiHandler.BadRequest("consentText", "'consentText' is required, at most "
                    + MAX_CONSENT_CHARS + " characters");
        }
        int roomSize = intIn(body, "roomSize", 2, 2, 8);
        MatchRules rules = MatchRules.defaults().withRoomSize(roomSize)
                .withRecentSessions(intIn(body, "recentSessions", 3, 0, 100))
                .withRelaxation(longIn(body, "relaxTagsAfterMs", 60_000), longIn(body, "relaxRepeatAfterMs", 120_000),
                        MatchRules.NEVER);
        LobbyConfig config = LobbyConfig.of(id, body.path("consentVersion").asInt(), consent).withRules(rules)
                .withOfferTimeoutMs(longIn(body, "offerTimeoutMs", 30_000))
                .withRequireModerator(body.path("requireModerator").asBoolean(false));
        LobbyHub hub = lobbies.open(config, intIn(body, "moderatorCapacity", 3, 1, 50));
        if (hub == null) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.CONFLICT, "pool_exists",
                    "a pool '" + id + "' is already open");
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pool", hub.summary());
        out.put("links", List.of(links.forPool(id, Role.MODERATOR, null, 0)));
        HttpResponses.sendJson(ctx, request, HttpResponseStatus.CREATED, out);
    }

    private static int intIn(JsonNode body, String field, int fallback, int min, int max) {
        JsonNode n = body.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToInt() || n.asInt() < min || n.asInt() > max) {
            throw new HttpApiHandler.BadRequest(field, "'" + field + "' must be a whole number " + min + ".." + max);
        }
        return n.asInt();
    }

    private static long longIn(JsonNode body, String field, long fallback) {
        JsonNode n = body.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToLong() || n.asLong() < 1) {
            throw new HttpApiHandler.BadRequest(field, "'" + field + "' must be a positive number of milliseconds");
        }
        return n.asLong();
    }

    private static Role lobbyRole(JsonNode node) {
        if (node.isTextual() && (node.asText().equals("performer") || node.asText().equals("moderator"))) {
            return Role.fromWire(node.asText());
        }
        throw new HttpApiHandler.BadRequest("role", "'role' must be performer or moderator");
    }
}
