package dev.improv.server.app;

import dev.improv.server.auth.TokenService;
import dev.improv.server.dataset.ConsentTexts;
import dev.improv.server.dataset.Withdrawals;
import dev.improv.server.http.ConsentRoutes;
import dev.improv.server.http.Route;
import dev.improv.server.routing.Router;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Consent texts and withdrawals (docs/dataset.md): the routes, and the one thread ({@code consent-writer}) that
 * reads and forces the consent files, so that no I/O thread waits for the disk.
 */
final class ConsentFeature implements Feature {
    private final ExecutorService disk = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "consent-writer");
        t.setDaemon(true);
        return t;
    });
    private final ConsentRoutes routes;

    ConsentFeature(Path dataDir, TokenService tokens, Router router) {
        this.routes = new ConsentRoutes(new ConsentTexts(dataDir), new Withdrawals(dataDir), tokens, router, disk,
                System::currentTimeMillis);
    }

    @Override
    public List<Route> routes() {
        return routes.routes();
    }

    @Override
    public void close() {
        disk.shutdown();
        try {
            disk.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
