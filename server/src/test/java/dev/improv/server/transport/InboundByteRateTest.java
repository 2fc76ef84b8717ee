package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The read rate of one connection: within it nothing changes; over it reads pause for exactly the debt. */
class InboundByteRateTest {
    static final long RATE = 64 * 1024; // burst: four seconds' worth, 256 KiB

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final ServerMetrics metrics = new ServerMetrics();

    static ByteBuf bytes(int n) {
        return Unpooled.wrappedBuffer(new byte[n]);
    }

    @Test
    void withinTheRateAndBurstReadsGoOnAndEveryByteIsPassedOn() {
        InboundByteRate rate = new InboundByteRate(RATE, metrics, now::get);
        EmbeddedChannel ch = new EmbeddedChannel(rate);
        for (int i = 0; i < 4; i++) {
            ch.writeInbound(bytes(60 * 1024)); // 240 KiB: inside the burst
        }
        assertTrue(ch.config().isAutoRead());
        assertFalse(rate.paused());
        int passed = 0;
        for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
            passed += b.readableBytes();
        }
        assertEquals(240 * 1024, passed);
        ch.finishAndReleaseAll();
    }

    @Test
    void overTheRateReadsPauseUntilTheRateHasPaidForThemAndNothingIsDropped() {
        InboundByteRate rate = new InboundByteRate(RATE, metrics, now::get);
        EmbeddedChannel ch = new EmbeddedChannel(rate);
        ch.writeInbound(bytes(256 * 1024)); // the whole burst
        assertTrue(ch.config().isAutoRead());
        ch.writeInbound(bytes(32 * 1024)); // half a second of debt
        assertFalse(ch.config().isAutoRead(), "paused: TCP holds the sender back");
        assertTrue(rate.paused());
        assertEquals(2, drain(ch), "what was read is passed on, not dropped");

        ch.advanceTimeBy(400, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.config().isAutoRead(), "the debt is not paid after 400 ms");
        ch.advanceTimeBy(101, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.config().isAutoRead(), "reading again once 0.5 s paid for 32 KiB");
        assertFalse(rate.paused());
        assertTrue(metrics.registry().get("improv_websocket_reads_paused").counter().count() >= 1);
        ch.finishAndReleaseAll();
    }

    @Test
    void aClosedConnectionIsNotReopenedForReading() {
        InboundByteRate rate = new InboundByteRate(RATE, metrics, now::get);
        EmbeddedChannel ch = new EmbeddedChannel(rate);
        ch.writeInbound(bytes(512 * 1024));
        drain(ch);
        ch.close();
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isActive());
    }

    static int drain(EmbeddedChannel ch) {
        int n = 0;
        for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
            n++;
        }
        return n;
    }
}
