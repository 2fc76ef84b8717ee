package dev.improv.server.metrics;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Renders the Prometheus text off the I/O threads, one render at a time, and shares each render with every
 * request that arrives while it runs or within {@code maxAgeMs} after it began. Rendering every meter costs about a
 * millisecond of CPU when warm (far more while the JIT is cold); on an I/O thread it delayed the rooms of that
 * thread, and a client that pipelines thousands of {@code GET /metrics} and lets the kernel's send buffer (megabytes
 * on loopback) take the answers made it render hundreds of times in a row (prompts on that thread waited up to
 * 872 ms). Now such a client costs one render per {@code maxAgeMs} in total, on the {@code metrics-scrape} thread,
 * and a copy of the bytes per answer. The thread is started on demand and ends when idle. Thread-safe.
 */
public final class ScrapeRenderer {
    /** What a scraper may see at most this old: far below any scrape interval, and too short to notice in tests. */
    public static final long DEFAULT_MAX_AGE_MS = 100;

    private final Supplier<String> render;
    private final long maxAgeNanos;
    private final ThreadPoolExecutor thread;
    /** The last render (running or done) and when it began; guarded by {@code this}. */
    private CompletableFuture<byte[]> latest;
    private long latestStartedNanos;

    public ScrapeRenderer(ServerMetrics metrics) {
        this(metrics::scrape, DEFAULT_MAX_AGE_MS);
    }

    ScrapeRenderer(Supplier<String> render, long maxAgeMs) {
        this.render = render;
        this.maxAgeNanos = TimeUnit.MILLISECONDS.toNanos(maxAgeMs);
        this.thread = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "metrics-scrape");
            t.setDaemon(true);
            return t;
        });
        this.thread.allowCoreThreadTimeOut(true);
    }

    /** The Prometheus text as UTF-8: a render running now, one at most {@code maxAgeMs} old, or a new one. */
    public synchronized CompletableFuture<byte[]> scrape() {
        long now = System.nanoTime();
        boolean shareable = latest != null && !latest.isCompletedExceptionally()
                && (!latest.isDone() || now - latestStartedNanos < maxAgeNanos);
        if (!shareable) {
            latestStartedNanos = now;
            latest = CompletableFuture.supplyAsync(() -> render.get().getBytes(StandardCharsets.UTF_8), thread);
        }
        return latest;
    }
}
