package dev.improv.server.auth.http;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenKeys;
import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.HttpApiHandler;
import dev.improv.server.http.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token routes:
 * <ul>
 *   <li>{@code GET /api/token-info?token=…} (no admin key): what a page needs to know about its own link —
 *   room or pool, role, participant, name, expiry, scopes, page — after the server verified it, so that pages
 *   never parse tokens; a refused token answers 401 with {@code error}, {@code reason} and {@code message}.</li>
 *   <li>{@code GET /api/keys} (admin): the key ids in force (never the secrets).</li>
 *   <li>{@code POST /api/keys/reload} (admin): reads the key file again — the rotation step after editing it.</li>
 * </ul>
 * The reload reads a file, so it runs on this class's own thread, never on the event loop.
 */
public final class TokenRoutes implements HttpApiHandler.ApiExtension {
    private static final Logger LOG = LoggerFactory.getLogger(TokenRoutes.class);
    private final TokenService tokens;
    private final ServerConfig.TokenSettings settings;
    private final ExecutorService fileThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "token-keys");
        t.setDaemon(true);
        return t;
    });

    public TokenRoutes(TokenService tokens, ServerConfig.TokenSettings settings) {
        this.tokens = tokens;
        this.settings = settings;
    }

    @Override
    public boolean handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, boolean admin) {
        String path = uri.path();
        if (path.equals("/api/token-info")) {
            tokenInfo(ctx, request, uri);
            return true;
        }
        if (!path.equals("/api/keys") && !path.equals("/api/keys/reload")) {
            return false;
        }
        if (!admin) {
            HttpApiHandler.unauthorized(ctx, request);
        } else if (path.equals("/api/keys") && request.method().equals(HttpMethod.GET)) {
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, describe(tokens.keys()));
        } else if (path.equals("/api/keys/reload") && request.method().equals(HttpMethod.POST)) {
            reload(ctx, request);
        } else {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                    request.method() + " is not supported here");
        }
        return true;
    }

    private void tokenInfo(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
        List<String> token = uri.parameters().get("token");
        JoinClaims claims;
        try {
            // Any scope will do: the page asks what its link is, whatever it allows.
            claims = tokens.verify(token == null ? null : token.get(0), dev.improv.server.auth.Scope.JOIN);
        } catch (TokenException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", e.code().name());
            body.put("reason", e.reason().wireName());
            body.put("message", e.getMessage());
            HttpResponses.sendJson(ctx, request, HttpResponseStatus.valueOf(e.httpStatus()), body);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (claims.room() != null) {
            body.put("room", claims.room());
        } else {
            body.put("pool", claims.pool());
        }
        body.put("role", claims.role().wireName());
        body.put("participant", claims.pid());
        body.put("name", claims.name());
        body.put("expiresAt", claims.exp());
        body.put("scopes", claims.scopes().stream().map(dev.improv.server.auth.Scope::wireName).sorted().toList());
        body.put("page", claims.room() != null ? JoinLinks.pageFor(claims.role()) : "lobby.html");
        HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, body);
    }

    private void reload(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (settings.keyFile() == null) {
            HttpResponses.sendError(ctx, request, HttpResponseStatus.CONFLICT, "no_key_file",
                    "this server has no token key file (--token-keys or <data-dir>/token-keys.json at start-up)");
            return;
        }
        CompletableFuture.supplyAsync(() -> {
            try {
                return tokens.reload(settings);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read " + settings.keyFile() + ": " + e.getMessage(), e);
            }
        }, fileThread).whenComplete((keys, failure) -> {
            if (failure == null) {
                LOG.info("token keys reloaded: {}", keys); // kids only, never secrets
                HttpResponses.sendJson(ctx, request, HttpResponseStatus.OK, describe(keys));
            } else {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                LOG.warn("token key reload refused, the keys in force stay: {}", cause.getMessage());
                HttpResponses.sendError(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_key_file",
                        cause.getMessage() + "; the keys in force stay");
            }
        });
    }

    private static Map<String, Object> describe(TokenKeys keys) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("signing", keys.signingKid());
        out.put("active", new ArrayList<>(keys.activeKids()));
        out.put("retired", new ArrayList<>(keys.retiredKids()));
        out.put("file", keys.file() == null ? null : keys.file().toString());
        return out;
    }
}
