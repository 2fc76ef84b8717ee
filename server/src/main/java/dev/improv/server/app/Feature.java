package dev.improv.server.app;

import dev.improv.server.http.Route;
import java.util.List;

/**
 * A part of the server that plugs in like every other: the composition root builds it from the parts it needs,
 * serves its routes (each with its {@link Route.Access}, so the admin middleware and the listener follow), and
 * closes it at shutdown after the rooms closed, in reverse order of building.
 */
public interface Feature extends AutoCloseable {
    /** The HTTP routes of this feature. */
    List<Route> routes();

    /** Stops whatever the feature runs (threads, files). Never throws. */
    @Override
    default void close() {
    }

    /** A feature that only serves routes. */
    static Feature ofRoutes(List<Route> routes) {
        List<Route> copy = List.copyOf(routes);
        return () -> copy;
    }
}
