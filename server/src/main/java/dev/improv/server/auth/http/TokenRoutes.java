package dev.improv.server.auth.http;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.Scope;
import dev.improv.server.auth.TokenException;
import dev.improv.server.auth.TokenKeys;
import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.http.ApiDoc;
import dev.improv.server.http.ApiError;
import dev.improv.server.http.HttpExchange;
import dev.improv.server.http.Route;
import io.netty.handler.codec.http.HttpResponseStatus;
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
 *   <li>{@code GET /api/token-info?token=…} (public): what a page needs to know about its own link — room or
 *   pool, role, participant, name, expiry, scopes, page — after the server verified it, so that pages never parse
 *   tokens; a refused token answers 401 (403 for a scope) with {@code code}, {@code reason} and {@code message}.</li>
 *   <li>{@code GET /api/keys} (admin): the key ids in force (never the secrets).</li>
 *   <li>{@code POST /api/keys/reload} (admin): reads the key file again — the rotation step after editing it.</li>
 * </ul>
 * The reload reads a file, so it runs on this class's own thread, never on the event loop.
 */
public final class TokenRoutes {
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

    public List<Route> routes() {
        return List.of(
                Route.get("/api/token-info", Route.Access.PUBLIC, this::tokenInfo),
                Route.get("/api/keys", Route.Access.ADMIN, ex -> ex.json(HttpResponseStatus.OK, describe(tokens.keys())))
                        .documented(ApiDoc.of("The join token key ids in force (never the secrets)")
                                .answers(200, "the signing key id, the active and the retired ones", KeysInForce.class)),
                Route.post("/api/keys/reload", Route.Access.ADMIN, this::reload)
                        .documented(ApiDoc.of("Read the token key file again: the rotation step after editing it")
                                .describe("See docs/integration.md, Keys and rotation. A wrong file is refused and "
                                        + "the keys in force stay.")
                                .answers(200, "the keys now in force", KeysInForce.class)
                                .fails(400, "the file is wrong (`INVALID_KEY_FILE`, the message says where)")
                                .fails(409, "the server has no key file (`NO_KEY_FILE`)")));
    }

    /** The key ids in force: {@code file} is null when the server has no key file. */
    public record KeysInForce(String signing, List<String> active, List<String> retired, String file) {
    }

    private void tokenInfo(HttpExchange ex) {
        JoinClaims claims;
        try {
            claims = tokens.verify(ex.query("token"), Scope.JOIN);
        } catch (TokenException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("type", "error");
            body.put("code", e.code().wireName());
            body.put("field", "token");
            body.put("reason", e.reason().wireName());
            body.put("message", e.getMessage());
            ex.json(HttpResponseStatus.valueOf(e.httpStatus()), body);
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
        body.put("scopes", claims.scopes().stream().map(Scope::wireName).sorted().toList());
        body.put("page", claims.room() != null ? JoinLinks.pageFor(claims.role()) : "lobby.html");
        ex.json(HttpResponseStatus.OK, body);
    }

    private void reload(HttpExchange ex) {
        if (settings.keyFile() == null) {
            ex.error(HttpResponseStatus.CONFLICT, new ApiError("NO_KEY_FILE", null,
                    "this server has no token key file (--token-keys or <data-dir>/token-keys.json at start-up)"));
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
                ex.json(HttpResponseStatus.OK, describe(keys));
            } else {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                LOG.warn("token key reload refused, the keys in force stay: {}", cause.getMessage());
                ex.error(HttpResponseStatus.BAD_REQUEST, new ApiError("INVALID_KEY_FILE", "file",
                        cause.getMessage() + "; the keys in force stay"));
            }
        });
    }

    private static KeysInForce describe(TokenKeys keys) {
        return new KeysInForce(keys.signingKid(), new ArrayList<>(keys.activeKids()),
                new ArrayList<>(keys.retiredKids()), keys.file() == null ? null : keys.file().toString());
    }
}
