package dev.improv.server.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one route table of a listener: method + path pattern → handler, with the admin middleware put in front of
 * every admin route when the table is built. Immutable after {@link #of}; lookups are safe from any thread.
 * A path no pattern matches is unknown (404); a path some pattern matches with another method is 405 and the
 * answer lists the methods that would do (a GET route also answers HEAD).
 */
public final class RouteTable {
    /** What a lookup found. */
    public sealed interface Match {
    }

    /** A route for this method and path, with the path parameters. */
    public record Found(Route route, RouteHandler handler, Map<String, String> params) implements Match {
    }

    /** The path is known, the method is not: these are. */
    public record WrongMethod(Set<HttpMethod> allowed) implements Match {
    }

    /** No route has this path. */
    public record NotFound() implements Match {
    }

    private record Entry(Route route, String[] segments, RouteHandler handler, int literals) {
    }

    private final List<Entry> entries;

    private RouteTable(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Builds a table of the routes {@code served} admits (a listener serves some routes, not all), each {@link Route.Access#ADMIN} route wrapped by
     * {@code admin}. Two routes with the same method and pattern are a programming error.
     */
    public static RouteTable of(Collection<Route> routes, Predicate<Route> served, Middleware admin) {
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (Route route : routes) {
            if (!served.test(route)) {
                continue;
            }
            if (!seen.add(route.method() + " " + route.pattern())) {
                throw new IllegalArgumentException("two routes for " + route.method() + " " + route.pattern());
            }
            String[] segments = split(route.pattern());
            int literals = 0;
            for (String s : segments) {
                if (!isParam(s)) {
                    literals++;
                }
            }
            RouteHandler handler = route.access() == Route.Access.ADMIN ? admin.around(route.handler())
                    : route.handler();
            entries.add(new Entry(route, segments, handler, literals));
        }
        // More literal segments first: /api/pools/{id}/time beats a pattern with a parameter there.
        entries.sort(Comparator.comparingInt((Entry e) -> -e.literals()));
        return new RouteTable(entries);
    }

    /** Looks up a request; {@code rawPath} is the path as sent, each segment is URL-decoded here. */
    public Match match(HttpMethod method, String rawPath) {
        String[] segments = split(rawPath);
        for (int i = 0; i < segments.length; i++) {
            segments[i] = QueryStringDecoder.decodeComponent(segments[i]);
        }
        Set<HttpMethod> allowed = new LinkedHashSet<>();
        for (Entry e : entries) {
            Map<String, String> params = bind(e.segments(), segments);
            if (params == null) {
                continue;
            }
            HttpMethod m = e.route().method();
            if (m.equals(method) || (m.equals(HttpMethod.GET) && method.equals(HttpMethod.HEAD))) {
                return new Found(e.route(), e.handler(), params);
            }
            allowed.add(m);
            if (m.equals(HttpMethod.GET)) {
                allowed.add(HttpMethod.HEAD);
            }
        }
        return allowed.isEmpty() ? new NotFound() : new WrongMethod(allowed);
    }

    /** The patterns in this table, for start-up logs and tests. */
    public List<String> describe() {
        return entries.stream().map(e -> e.route().method() + " " + e.route().pattern()).toList();
    }

    private static Map<String, String> bind(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < pattern.length; i++) {
            if (isParam(pattern[i])) {
                if (path[i].isEmpty()) {
                    return null;
                }
                if (params == null) {
                    params = new HashMap<>(4);
                }
                params.put(pattern[i].substring(1, pattern[i].length() - 1), path[i]);
            } else if (!pattern[i].equals(path[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }

    private static boolean isParam(String segment) {
        return segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}");
    }

    private static String[] split(String path) {
        return path.substring(path.startsWith("/") ? 1 : 0).split("/", -1);
    }
}
