package dev.improv.server.app;

import dev.improv.server.auth.TokenService;
import dev.improv.server.dataset.ConsentTexts;
import dev.improv.server.dataset.Withdrawals;
import dev.improv.server.http.ConsentRoutes;
import dev.improv.server.http.Route;
import dev.improv.server.routing.Router;
import dev.improv.server.webhook.WebhookFeature;
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

    private final Withdrawals withdrawals;

    /** Every withdrawal also goes to the webhooks' durable outbox ({@code consent.withdrawn}). */
    ConsentFeature(Path dataDir, TokenService tokens, Router router, WebhookFeature webhooks) {
        this.withdrawals = new Withdrawals(dataDir);
        this.routes = new ConsentRoutes(new ConsentTexts(dataDir), withdrawals, tokens, router, disk,
                System::currentTimeMillis, w -> webhooks.consentWithdrawn(event(w)));
    }

    static WebhookFeature.Withdrawn event(Withdrawals.Withdrawal w) {
        return new WebhookFeature.Withdrawn(w.number(), w.pid(), w.scopes(), w.at(), w.via());
    }

    /** Every withdrawal so far, as webhooks report them (start-up: the outbox catches up after a crash). */
    List<WebhookFeature.Withdrawn> all() throws java.io.IOException {
        return withdrawals.all().stream().map(ConsentFeature::event).toList();
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
