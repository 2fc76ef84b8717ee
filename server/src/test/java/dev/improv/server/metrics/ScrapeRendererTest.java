package dev.improv.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ScrapeRendererTest {
    @Test
    void rendersOffTheCallersThreadOnceForEveryScrapeThatArrivesWhileItRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger renders = new AtomicInteger();
        AtomicReference<String> renderThread = new AtomicReference<>();
        ScrapeRenderer scrapes = new ScrapeRenderer(() -> {
            renderThread.set(Thread.currentThread().getName());
            renders.incrementAndGet();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "text " + renders.get();
        }, 60_000);
        var first = scrapes.scrape();
        for (int i = 0; i < 1000; i++) {
            assertSame(first, scrapes.scrape(), "a render in flight is shared");
        }
        release.countDown();
        assertEquals("text 1", new String(first.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        assertEquals("metrics-scrape", renderThread.get());
        assertSame(first, scrapes.scrape(), "and reused while it is younger than the max age");
        assertEquals(1, renders.get());
    }

    @Test
    void anOlderRenderIsNotReused() throws Exception {
        AtomicInteger renders = new AtomicInteger();
        ScrapeRenderer scrapes = new ScrapeRenderer(() -> "text " + renders.incrementAndGet(), 1);
        byte[] a = scrapes.scrape().get(10, TimeUnit.SECONDS);
        Thread.sleep(5);
        byte[] b = scrapes.scrape().get(10, TimeUnit.SECONDS);
        assertNotEquals(new String(a, StandardCharsets.UTF_8), new String(b, StandardCharsets.UTF_8));
        assertTrue(renders.get() >= 2);
    }

    @Test
    void aFailedRenderIsNotShared() throws Exception {
        AtomicInteger renders = new AtomicInteger();
        ScrapeRenderer scrapes = new ScrapeRenderer(() -> {
            if (renders.incrementAndGet() == 1) {
                throw new IllegalStateException("registry broken once");
            }
            return "ok";
        }, 60_000);
        var failed = scrapes.scrape();
        assertTrue(failed.handle((v, e) -> e != null).get(10, TimeUnit.SECONDS));
        assertEquals("ok", new String(scrapes.scrape().get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }
}
