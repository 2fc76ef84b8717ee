package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class HttpInputBudgetTest {
    static final int KIB = 1024;
    final HttpInputBudget.Shared shared = new HttpInputBudget.Shared(1024 * KIB, new ServerMetrics());

    EmbeddedChannel connection() {
        return new EmbeddedChannel(new HttpInputBudget(shared));
    }

    static void read(EmbeddedChannel ch, int bytes) {
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[bytes]));
        ch.releaseInbound();
    }

    @Test
    void overTheBudgetTheConnectionsHoldingLargeUnfinishedRequestsAreClosedAndSmallOnesPass() {
        EmbeddedChannel first = connection();
        read(first, 900 * KIB);
        assertTrue(first.isActive(), "under the budget");
        EmbeddedChannel large = connection();
        read(large, 100 * KIB);
        read(large, 100 * KIB);
        assertFalse(large.isActive(), "over the budget with a large unfinished request: closed");
        EmbeddedChannel small = connection();
        read(small, 2 * KIB);
        assertTrue(small.isActive(), "a request head still passes");
        assertEquals(902 * KIB, shared.total(), "the closed connection gave its bytes back");
        first.close();
        assertEquals(2 * KIB, shared.total());
        small.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        small.releaseOutbound();
        assertEquals(0, shared.total(), "an answer written releases what its request held");
        EmbeddedChannel again = connection();
        read(again, 500 * KIB);
        assertTrue(again.isActive(), "and the budget is free for the next client");
        again.finishAndReleaseAll();
        small.finishAndReleaseAll();
        large.finishAndReleaseAll();
    }

    @Test
    void atTwiceTheBudgetEveryReadingConnectionIsClosed() {
        HttpInputBudget.Shared tiny = new HttpInputBudget.Shared(1024 * KIB, new ServerMetrics());
        EmbeddedChannel[] heads = new EmbeddedChannel[200];
        int open = 0;
        for (int i = 0; i < heads.length; i++) {
            heads[i] = new EmbeddedChannel(new HttpInputBudget(tiny));
            read(heads[i], 15 * KIB);
            open += heads[i].isActive() ? 1 : 0;
        }
        assertTrue(tiny.total() <= 2 * 1024 * KIB, "bounded at twice the budget: " + tiny.total());
        assertTrue(open < heads.length && open >= 130, "small requests pass until twice the budget: " + open);
        for (EmbeddedChannel ch : heads) {
            ch.finishAndReleaseAll();
        }
        assertEquals(0, tiny.total());
    }

    /**
     * In the real pipeline the budget is before the codec and sees the answers as bytes: the flow control after
     * the codec tells it when an answer ends. Without that, a keep-alive connection's bytes were never given back
     * and a client uploading take chunks (48 kB each) over one connection was closed once 64 MiB had passed.
     */
    @Test
    void keepAliveRequestsOnTheRealPipelineGiveTheirBytesBackWithEachAnswer() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpInputBudget(shared),
                new io.netty.handler.codec.http.HttpServerCodec(),
                new io.netty.handler.codec.http.HttpObjectAggregator(64 * KIB),
                new HttpFlowControl(16, 10_000, new ServerMetrics(), new ClientErrorLog(new ServerMetrics(), 10)),
                new io.netty.channel.SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest>() {
                    @Override
                    protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx,
                                                io.netty.handler.codec.http.FullHttpRequest req) {
                        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                    }
                });
        byte[] body = new byte[48_000];
        for (int i = 0; i < 60; i++) { // 2.8 MB through one connection, almost three times the budget
            ch.writeInbound(Unpooled.wrappedBuffer(("PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII), body));
            ch.runPendingTasks();
            ch.releaseOutbound();
            assertTrue(ch.isActive(), "request " + i + " answered, the connection kept");
            assertEquals(0, shared.total(), "request " + i + "'s bytes given back with its answer");
        }
        assertFalse(ch.finishAndReleaseAll());
    }
}
