package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.Test;

class InboundRateLimiterTest {
    @Test
    void dropsFramesAboveTheBurstAndSaysSoOnce() {
        ServerMetrics metrics = new ServerMetrics();
        EmbeddedChannel channel = new EmbeddedChannel(ServerMessageEncoder.INSTANCE,
                new InboundRateLimiter(1, 3, metrics));
        for (int i = 0; i < 10; i++) {
            channel.writeInbound(new TextWebSocketFrame("{}"));
        }
        for (int i = 0; i < 3; i++) {
            TextWebSocketFrame passed = channel.readInbound();
            assertNotNull(passed);
            passed.release();
        }
        assertNull(channel.readInbound(), "frames above the burst are dropped");
        TextWebSocketFrame error = channel.readOutbound();
        assertTrue(error.text().contains("RATE_LIMITED"));
        error.release();
        assertNull(channel.readOutbound(), "one error per second, not one per dropped frame");
        assertTrue(channel.isActive());
        assertTrue(metrics.scrape().contains("improv_errors_total{code=\"rate_limited\"} 7.0"));
        assertFalse(channel.finishAndReleaseAll());
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
        assertEquals(0, 0);
    }
}
