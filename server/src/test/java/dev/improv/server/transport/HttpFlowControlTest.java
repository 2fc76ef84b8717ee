package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpFlowControlTest {
    /** Answers each request with its own URI as the body, but only when told to (an asynchronous route). */
    static final class HeldRoutes extends SimpleChannelInboundHandler<FullHttpRequest> {
        final List<ChannelHandlerContext> contexts = new ArrayList<>();
        final List<String> uris = new ArrayList<>();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            contexts.add(ctx);
            uris.add(request.uri());
        }

        void answer(int i) {
            byte[] body = uris.get(i).getBytes(StandardCharsets.US_ASCII);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            HttpUtil.setContentLength(r, body.length);
            contexts.get(i).writeAndFlush(r);
        }
    }

    private static EmbeddedChannel channel(HeldRoutes routes, int maxPipelined) {
        return new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new HttpFlowControl(maxPipelined, 10_000, new ServerMetrics(), new ClientErrorLog(new ServerMetrics(), 10)),
                routes);
    }

    private static ByteBuf requests(String... paths) {
        StringBuilder b = new StringBuilder();
        for (String p : paths) {
            b.append("GET ").append(p).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        return Unpooled.copiedBuffer(b, StandardCharsets.US_ASCII);
    }

    @Test
    void pipelinedRequestsReachTheRoutesOneAtATimeAndAreAnsweredInOrder() {
        HeldRoutes routes = new HeldRoutes();
        EmbeddedChannel ch = channel(routes, 16);
        ch.writeInbound(requests("/a", "/b", "/c"));
        assertEquals(List.of("/a"), routes.uris, "the next request waits for the answer to the first");
        assertFalse(ch.config().isAutoRead(), "no reading while answers are owed");
        routes.answer(0);
        assertEquals(List.of("/a", "/b"), routes.uris);
        routes.answer(1);
        routes.answer(2);
        String out = drain(ch);
        assertTrue(out.indexOf("/a") < out.indexOf("/b") && out.indexOf("/b") < out.indexOf("/c"), out);
        assertTrue(ch.config().isAutoRead(), "reading again once everything is answered");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void moreThanTheCapAheadOfTheirAnswersClosesWithoutParsingTheRest() {
        for (int n : new int[] {24_000, 100, 24_000, 100}) {
            HeldRoutes r = new HeldRoutes();
            EmbeddedChannel c = channel(r, 16);
            String[] some = new String[n];
            java.util.Arrays.fill(some, "/metrics");
            ByteBuf in = requests(some);
            long t = System.nanoTime();
            c.writeInbound(in);
            System.out.println(n + " pipelined: " + (System.nanoTime() - t) / 1000 + " µs");
            c.finishAndReleaseAll();
        }
        HeldRoutes routes = new HeldRoutes();
        EmbeddedChannel ch = channel(routes, 16);
        String[] many = new String[24_000];
        java.util.Arrays.fill(many, "/metrics");
        long start = System.nanoTime();
        ch.writeInbound(requests(many));
        long micros = (System.nanoTime() - start) / 1000;
        assertFalse(ch.isOpen(), "closed");
        assertEquals(1, routes.uris.size(), "only the first reached the routes");
        assertNull(ch.pipeline().get(HttpServerCodec.class), "decoder taken out: the rest is never parsed");
        System.out.println("24,000 pipelined requests refused in " + micros + " µs");
        ch.finishAndReleaseAll();
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder s = new StringBuilder();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            s.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return s.toString();
    }
}
