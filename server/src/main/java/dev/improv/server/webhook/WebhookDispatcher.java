package dev.improv.server.webhook;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends deliveries, one at a time per endpoint and in outbox order (so events of a room arrive in order), on its
 * own thread ({@code webhook-dispatch}); HTTP runs on {@code java.net.http.HttpClient} with its own two threads.
 * A failed attempt (connection error, timeout, non-2xx) is retried after an exponential backoff with jitter; after
 * the last attempt the delivery is given up (counted, logged, marked in the outbox). Redirects are not followed:
 * deliveries go only to the URL the operator configured.
 */
final class WebhookDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);

    /** Retry and timeout settings. */
    record Retry(long baseMs, long maxMs, int maxAttempts, long timeoutMs) {
    }

    /** One endpoint's FIFO. Dispatch thread only, except the published numbers (volatile, for the gauges). */
    private final class Lane {
        final WebhookEndpoint endpoint;
        final ArrayDeque<Delivery> queue = new ArrayDeque<>();
        boolean busy;
        boolean removed;
        int attempts;
        volatile int pending;
        volatile long oldestCreatedMs;
        volatile int retrying;

        Lane(WebhookEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        void publish() {
            pending = queue.size();
            Delivery head = queue.peek();
            oldestCreatedMs = head == null ? 0 : head.createdAtMs();
            retrying = attempts > 0 && head != null ? 1 : 0;
        }
    }

    /** Dispatch thread only. */
    private final Map<String, Lane> lanes = new LinkedHashMap<>();
    /** The lanes in endpoint order, for readers on other threads (the admin API, the gauges). */
    private volatile List<Lane> published = List.of();
    private final Retry retry;
    private final Clock clock;
    private final WebhookMetrics metrics;
    private final Consumer<WebhookOutbox.Finished> finished;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r,
            "webhook-dispatch"));
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, r -> daemon(r, "webhook-http"));
    private final HttpClient http;
    private volatile boolean stopped;

    WebhookDispatcher(List<WebhookEndpoint> endpoints, Retry retry, Clock clock, WebhookMetrics metrics,
                      Consumer<WebhookOutbox.Finished> finished) {
        this.retry = retry;
        this.clock = clock;
        this.metrics = metrics;
        this.finished = finished;
        this.http = HttpClient.newBuilder().executor(httpThreads).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofMillis(retry.timeoutMs())).build();
        endpoints.forEach(this::addLane);
    }

    /** Dispatch thread (or the constructor). */
    private void addLane(WebhookEndpoint e) {
        Lane lane = new Lane(e);
        lanes.put(e.id(), lane);
        published = List.copyOf(lanes.values());
        metrics.endpoint(e.id(), () -> lane.pending, () -> lane.retrying,
                () -> lane.oldestCreatedMs == 0 ? 0 : (clock.millis() - lane.oldestCreatedMs) / 1000.0);
    }

    /**
     * Any thread: an endpoint added or removed (registered through the admin API). Queued on the dispatch thread
     * before any delivery the outbox hands over after it, so a new endpoint's lane exists before its first delivery.
     */
    void endpointsChanged(WebhookEndpoint added, WebhookEndpoint removed) {
        thread.execute(() -> {
            if (removed != null) {
                Lane lane = lanes.remove(removed.id());
                if (lane != null) {
                    lane.removed = true; // an attempt in flight ends without a retry
                    lane.queue.clear();
                    lane.publish();
                    metrics.removeEndpoint(removed.id());
                }
                published = List.copyOf(lanes.values());
            }
            if (added != null && !lanes.containsKey(added.id())) {
                addLane(added);
            }
        });
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Any thread: queues durable deliveries for sending. */
    void submit(List<Delivery> deliveries) {
        if (deliveries.isEmpty()) {
            return;
        }
        thread.execute(() -> {
            for (Delivery d : deliveries) {
                Lane lane = lanes.get(d.endpointId());
                if (lane != null) {
                    lane.queue.add(d);
                    lane.publish();
                    pump(lane);
                }
            }
        });
    }

    private void pump(Lane lane) {
        if (lane.busy || stopped || lane.removed) {
            return;
        }
        Delivery d = lane.queue.peek();
        if (d == null) {
            return;
        }
        lane.busy = true;
        long timestamp = clock.millis() / 1000;
        HttpRequest request = HttpRequest.newBuilder(lane.endpoint.url())
                .timeout(Duration.ofMillis(retry.timeoutMs()))
                .header("content-type", "application/json")
                .header("user-agent", "improv-server-webhooks")
                .header("webhook-id", d.eventId())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSigner.signature(lane.endpoint.key(), d.eventId(), timestamp,
                        d.body()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(d.body()))
                .build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            int status = response == null ? 0 : response.statusCode();
            String why = error != null ? error.toString() : "HTTP " + status;
            try {
                thread.execute(() -> attempted(lane, d, error == null && status >= 200 && status < 300, why));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // shutting down: the delivery stays pending in the outbox and is sent after the restart
            }
        });
    }

    private void attempted(Lane lane, Delivery d, boolean ok, String why) {
        if (lane.removed) {
            return; // removed meanwhile: its deliveries were dropped from the outbox
        }
        if (ok) {
            lane.queue.poll();
            lane.attempts = 0;
            lane.busy = false;
            metrics.delivered(lane.endpoint.id());
            finished.accept(new WebhookOutbox.Finished(d, true));
            lane.publish();
            pump(lane);
            return;
        }
        lane.attempts++;
        metrics.failedAttempt(lane.endpoint.id());
        if (lane.attempts >= retry.maxAttempts()) {
            LOG.warn("webhook '{}': giving up delivery {} after {} attempts ({})", lane.endpoint.id(), d.eventId(),
                    lane.attempts, why);
            lane.queue.poll();
            lane.attempts = 0;
            lane.busy = false;
            metrics.gaveUp(lane.endpoint.id());
            finished.accept(new WebhookOutbox.Finished(d, false));
            lane.publish();
            pump(lane);
            return;
        }
        long delay = backoffMs(lane.attempts);
        LOG.debug("webhook '{}': attempt {} of {} failed ({}); next in {} ms", lane.endpoint.id(), lane.attempts,
                d.eventId(), why, delay);
        lane.publish();
        thread.schedule(() -> {
            lane.busy = false;
            pump(lane);
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** Exponential backoff with "equal jitter": half the step fixed, half random, capped. */
    long backoffMs(int attempt) {
        long step = Math.min(retry.maxMs(), retry.baseMs() << Math.min(attempt - 1, 30));
        return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    }

    /** Any thread: each endpoint's published state, in configuration order (the numbers the gauges read). */
    List<EndpointState> states() {
        List<EndpointState> out = new java.util.ArrayList<>();
        long now = clock.millis();
        for (Lane lane : published) {
            long oldest = lane.oldestCreatedMs;
            out.add(new EndpointState(lane.endpoint.id(), lane.endpoint.url().toString(), lane.endpoint.eventNames(),
                    lane.endpoint.fromFile() ? "file" : "api", lane.pending, lane.retrying,
                    oldest == 0 ? 0 : (now - oldest) / 1000.0));
        }
        return out;
    }

    /**
     * One endpoint as the admin API shows it: never its secret.
     *
     * @param source {@code file} (the {@code --webhooks} file) or {@code api} (registered through the admin API)
     */
    public record EndpointState(String id, String url, List<String> events, String source, int pending,
                                int retrying, double oldestPendingAgeSeconds) {
    }

    @Override
    public void close() {
        stopped = true;
        thread.shutdownNow();
        httpThreads.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
