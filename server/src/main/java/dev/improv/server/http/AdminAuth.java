package dev.improv.server.http;

import dev.improv.server.auth.TokenService;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The admin check, the one middleware in front of every {@link Route.Access#ADMIN} route: the admin key as
 * {@code Authorization: Bearer <key>} (or {@code X-Admin-Key}), compared in constant time; anything else is 401.
 */
public final class AdminAuth implements Middleware {
    private final String adminKey;

    public AdminAuth(String adminKey) {
        this.adminKey = adminKey;
    }

    /** Whether the exchange carries the admin key (for public routes that also accept it). */
    public boolean isAdmin(HttpExchange exchange) {
        String auth = exchange.header(HttpHeaderNames.AUTHORIZATION);
        String presented = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim()
                : exchange.header("X-Admin-Key");
        return TokenService.adminKeyMatches(presented, adminKey);
    }

    @Override
    public RouteHandler around(RouteHandler next) {
        return exchange -> {
            if (isAdmin(exchange)) {
                next.handle(exchange);
            } else {
                exchange.error(HttpResponseStatus.UNAUTHORIZED, new ApiError(ApiError.UNAUTHORIZED, null,
                        "send the admin key as 'Authorization: Bearer <key>'"));
            }
        };
    }
}
