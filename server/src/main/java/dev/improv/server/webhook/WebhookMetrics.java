package dev.improv.server.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The webhook meters, per endpoint (tag {@code endpoint}: operator-configured ids, at most
 * {@link WebhookEndpoint#MAX_ENDPOINTS}): delivered,
 * failed attempts, given up, pending, retrying, oldest pending age; plus events dropped and outbox write failures.
 */
final class WebhookMetrics {
    private final MeterRegistry registry;
    private final Counter dropped;
    private final Counter writeFailures;
    private final Map<String, Counter> delivered = new ConcurrentHashMap<>();
    private final Map<String, Counter> failed = new ConcurrentHashMap<>();
    private final Map<String, Counter> dead = new ConcurrentHashMap<>();

    WebhookMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.dropped = Counter.builder("improv_webhook_events_dropped")
                .description("Webhook events not queued: the outbox was full or closing").register(registry);
        this.writeFailures = Counter.builder("improv_webhook_outbox_write_failures")
                .description("Failed attempts to write or fsync the webhook outbox").register(registry);
    }

    /** Registers one endpoint's meters; the gauges read the dispatcher's published numbers. */
    void endpoint(String id, Supplier<Number> pending, Supplier<Number> retrying, Supplier<Number> oldestAgeSeconds) {
        delivered.put(id, Counter.builder("improv_webhook_delivered").tag("endpoint", id)
                .description("Webhook deliveries the endpoint answered with 2xx").register(registry));
        failed.put(id, Counter.builder("improv_webhook_failed_attempts").tag("endpoint", id)
                .description("Webhook delivery attempts that failed (error, timeout or non-2xx); retried")
                .register(registry));
        dead.put(id, Counter.builder("improv_webhook_given_up").tag("endpoint", id)
                .description("Webhook deliveries given up after the last attempt").register(registry));
        Gauge.builder("improv_webhook_pending", pending).tag("endpoint", id)
                .description("Webhook deliveries waiting (in flight, queued or backing off)").register(registry);
        Gauge.builder("improv_webhook_retrying", retrying).tag("endpoint", id)
                .description("Webhook deliveries waiting for a retry after a failed attempt").register(registry);
        Gauge.builder("improv_webhook_oldest_pending_age_seconds", oldestAgeSeconds).tag("endpoint", id)
                .description("Age of the oldest webhook delivery not yet delivered").register(registry);
    }

    /** An endpoint removed through the admin API: its meters go (ids may be registered again later). */
    void removeEndpoint(String id) {
        for (String name : List.of("improv_webhook_delivered", "improv_webhook_failed_attempts",
                "improv_webhook_given_up", "improv_webhook_pending", "improv_webhook_retrying",
                "improv_webhook_oldest_pending_age_seconds")) {
            registry.find(name).tag("endpoint", id).meters().forEach(registry::remove);
        }
        delivered.remove(id);
        failed.remove(id);
        dead.remove(id);
    }

    void delivered(String endpoint) {
        delivered.get(endpoint).increment();
    }

    void failedAttempt(String endpoint) {
        failed.get(endpoint).increment();
    }

    void gaveUp(String endpoint) {
        dead.get(endpoint).increment();
    }

    void eventDropped() {
        dropped.increment();
    }

    void outboxWriteFailed() {
        writeFailures.increment();
    }
}
