package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * The server-wide bound on what WebSocket sessions have queued: under it nothing happens; over it the sessions with
 * the most queued are cut at once (their queue dropped) until the rest are under three quarters of it.
 */
class WebSocketOutputBudgetTest {
    private final ServerMetrics metrics = new ServerMetrics();

    private NettyMemberConnection session(WebSocketOutputBudget budget, int queuedBytes) {
        EmbeddedChannel ch = new EmbeddedChannel();
        NettyMemberConnection c = new NettyMemberConnection(ch, metrics);
        budget.watch(c, ch.eventLoop());
        ByteBuf queued = Unpooled.buffer(queuedBytes).writeZero(queuedBytes);
        ch.write(queued); // written, not flushed: queued in the channel's outbound buffer, as for a peer not reading
        assertTrue(WebSocketOutputBudget.queued(c) >= queuedBytes, "queued, with Netty's overhead per entry");
        return c;
    }

    @Test
    void overTheBudgetTheSessionsWithTheMostQueuedAreCut() {
        WebSocketOutputBudget budget = new WebSocketOutputBudget(1L << 20, metrics);
        NettyMemberConnection small = session(budget, 100_000);
        NettyMemberConnection big = session(budget, 600_000);
        budget.sweep();
        assertTrue(big.channel().isOpen() && small.channel().isOpen(), "700 KB is under 1 MiB");
        NettyMemberConnection bigger = session(budget, 700_000);
        budget.sweep();
        assertFalse(bigger.channel().isOpen(), "the one with the most queued is cut");
        assertTrue(big.channel().isOpen(), "700 KB left is under three quarters of the budget");
        assertTrue(small.channel().isOpen());
        assertEquals(0, WebSocketOutputBudget.queued(bigger), "its queue was dropped at once");
        assertEquals(1.0, metrics.registry().get("improv_errors").tag("code", "slow_consumer").counter().count());
        ((EmbeddedChannel) big.channel()).finishAndReleaseAll();
        ((EmbeddedChannel) small.channel()).finishAndReleaseAll();
    }
}
