package dev.improv.server.http;

/** Wraps a handler with a check that runs before it (the admin key, for example), as centrifugo's mux does. */
@FunctionalInterface
public interface Middleware {
    RouteHandler around(RouteHandler next);
}
