package dev.improv.server.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * One entry of the route table: method, path pattern ({@code /api/rooms/{id}/links}: literal segments and
 * {@code {name}} parameters, one segment each), who may call it, and what it takes and answers ({@link ApiDoc}:
 * the source of the OpenAPI description; every admin and operator route must have one).
 *
 * @param doc null for a route outside the described API (pages)
 */
public record Route(HttpMethod method, String pattern, Access access, RouteHandler handler, ApiDoc doc) {
    /** Who may call a route, and so on which listener it is served. */
    public enum Access {
        /** Anyone: pages, health, and routes that check a join token themselves. */
        PUBLIC,
        /** No key, but operators' business: {@code /metrics}. On the admin listener when there is one. */
        OPERATOR,
        /** The admin key, checked by the one admin middleware. On the admin listener when there is one. */
        ADMIN
    }

    public Route {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("a route pattern starts with '/': " + pattern);
        }
    }

    public Route(HttpMethod method, String pattern, Access access, RouteHandler handler) {
        this(method, pattern, access, handler, null);
    }

    /** This route with its description. */
    public Route documented(ApiDoc description) {
        return new Route(method, pattern, access, handler, description);
    }

    public static Route get(String pattern, Access access, RouteHandler handler) {
        return new Route(HttpMethod.GET, pattern, access, handler);
    }

    public static Route post(String pattern, Access access, RouteHandler handler) {
        return new Route(HttpMethod.POST, pattern, access, handler);
    }

    public static Route delete(String pattern, Access access, RouteHandler handler) {
        return new Route(HttpMethod.DELETE, pattern, access, handler);
    }
}
