package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InboundRateLimiterTest {
    @Test
    void dropsFramesAboveTheBurstAndSaysSoOncePerSecond() {
        ServerMetrics metrics = new ServerMetrics();
        AtomicLong now = new AtomicLong(5_000_000_000L);
        EmbeddedChannel channel = new EmbeddedChannel(ServerMessageEncoder.INSTANCE,
                new InboundRateLimiter(1, 3, metrics, now::get));
        for (int i = 0; i < 10; i++) {
            channel.writeInbound(new TextWebSocketFrame("{}"));
        }
        assertEquals(3, readAllInbound(channel), "the burst passes");
        assertEquals(1, rateLimitedErrors(channel), "one error, not one per dropped frame");

        now.addAndGet(500_000_000L);
        channel.writeInbound(new TextWebSocketFrame("{}"));
        assertEquals(0, readAllInbound(channel), "half a token is not a token");
        assertEquals(0, rateLimitedErrors(channel), "still inside the second of the first error");

        now.addAndGet(500_000_000L);
        channel.writeInbound(new TextWebSocketFrame("{}"));
        channel.writeInbound(new TextWebSocketFrame("{}"));
        assertEquals(1, readAllInbound(channel), "one second refills one token");
        assertEquals(1, rateLimitedErrors(channel), "a second after the first error, the next drop says so again");

        assertTrue(channel.isActive());
        assertTrue(metrics.scrape().contains("improv_errors_total{code=\"rate_limited\"} 9.0"), metrics.scrape());
        assertFalse(channel.finishAndReleaseAll());
    }

    private static int readAllInbound(EmbeddedChannel channel) {
        int n = 0;
        for (TextWebSocketFrame frame; (frame = channel.readInbound()) != null; n++) {
            frame.release();
        }
        return n;
    }

    private static int rateLimitedErrors(EmbeddedChannel channel) {
        int n = 0;
        for (TextWebSocketFrame frame; (frame = channel.readOutbound()) != null; n++) {
            assertTrue(frame.text().contains("\"code\":\"RATE_LIMITED\""), frame.text());
            frame.release();
        }
        return n;
    }

    @Test
    void tokenBucketRefillsAtItsRate() {
        TokenBucket bucket = new TokenBucket(10, 2, 0);
        assertTrue(bucket.tryTake(0));
        assertTrue(bucket.tryTake(0));
        assertFalse(bucket.tryTake(0));
        assertFalse(bucket.tryTake(50_000_000L));
        assertTrue(bucket.tryTake(100_000_000L));
        assertFalse(bucket.tryTake(100_000_000L));
        assertTrue(bucket.tryTake(10_000_000_000L));
        assertTrue(bucket.tryTake(10_000_000_000L));
        assertFalse(bucket.tryTake(10_000_000_000L), "never more than the burst");
    }
}
