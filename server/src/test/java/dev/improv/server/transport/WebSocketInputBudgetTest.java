package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.testing.RawWebSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket input budget in a pipeline like the server's (budget, frame decoder, frame counter, aggregator):
 * input reaches the decoder on the heap, what a session holds is exact, and over the budget the session holding
 * the most is told to close while the others go on.
 */
class WebSocketInputBudgetTest {
    private static final int MAX_FRAME = 1 << 20;

    private final ServerMetrics metrics = new ServerMetrics();

    /** Records what reaches the end of the pipeline and the budget's close requests. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        final List<Object> messages = new ArrayList<>();
        int overBudget;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            messages.add(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketInputBudget.OverBudget.INSTANCE) {
                overBudget++;
            }
        }
    }

    private record Session(EmbeddedChannel channel, Sink sink) {
    }

    private static Session session(WebSocketInputBudget.Budget budget) {
        Sink sink = new Sink();
        WebSocketInputBudget input = new WebSocketInputBudget(budget);
        EmbeddedChannel ch = new EmbeddedChannel(input, new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(true).maxFramePayloadLength(MAX_FRAME).build()), input.frameCounter(),
                new WebSocketFrameAggregator(MAX_FRAME), sink);
        return new Session(ch, sink);
    }

    @Test
    void inputIsCopiedToTheHeapAndWholeMessagesHoldNothing() {
        WebSocketInputBudget.Budget budget = new WebSocketInputBudget.Budget(8L << 20, metrics);
        Session s = session(budget);
        byte[] frame = frame(0x1, true, 200_000, 200_000);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length).writeBytes(frame, 0, 150_000);
        s.channel().writeInbound(direct);
        assertEquals(0, direct.refCnt(), "the direct read buffer was given back at once");
        assertEquals(150_000, budget.total(), "the unfinished frame is held");
        ByteBuf rest = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(frame, 150_000, frame.length - 150_000);
        s.channel().writeInbound(rest);
        assertEquals(0, rest.refCnt());
        assertEquals(0, budget.total(), "a whole message holds nothing");
        TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, s.sink().messages.get(0));
        assertEquals(200_000, text.content().readableBytes());
        text.release();
        assertFalse(s.channel().finishAndReleaseAll());
    }

    @Test
    void fragmentsAreKeptOnTheHeapAndCountedUntilTheMessageIsWhole() {
        WebSocketInputBudget.Budget budget = new WebSocketInputBudget.Budget(8L << 20, metrics);
        Session s = session(budget);
        byte[] first = frame(0x1, false, 100_000, 100_000);
        byte[] ping = frame(0x9, true, 4, 4);
        byte[] last = frame(0x0, true, 50_000, 50_000);
        s.channel().writeInbound(heap(first));
        s.channel().writeInbound(heap(ping));
        assertEquals(first.length, budget.total(), "the first fragment is held by the aggregator; the ping is not");
        s.channel().writeInbound(heap(last));
        assertEquals(0, budget.total());
        assertEquals(150_000, ((TextWebSocketFrame) s.sink().messages.get(1)).content().readableBytes());
        s.sink().messages.forEach(io.netty.util.ReferenceCountUtil::release);
        assertFalse(s.channel().finishAndReleaseAll());
    }

    @Test
    void overTheBudgetTheSessionHoldingTheMostIsClosedAndTheRestGoesOn() {
        WebSocketInputBudget.Budget budget = new WebSocketInputBudget.Budget(1L << 20, metrics);
        Session big = session(budget);
        Session small = session(budget);
        Session legit = session(budget);
        big.channel().writeInbound(heap(frame(0x1, true, 900_000, 750_000)));
        byte[] smallPart = frame(0x1, true, 900_000, 350_000);
        small.channel().writeInbound(heap(smallPart));
        assertTrue(budget.total() > budget.budget());
        big.channel().runPendingTasks();
        small.channel().runPendingTasks();
        assertEquals(1, big.sink().overBudget, "the session holding the most is closed");
        assertEquals(0, small.sink().overBudget, "one is enough to get under three quarters of the budget");
        big.channel().writeInbound(heap(frame(0x1, true, 10, 10)));
        assertTrue(big.sink().messages.isEmpty(), "a session being closed reads nothing more");
        big.channel().close();
        assertEquals(smallPart.length, budget.total(), "its bytes are given back when it closes");
        legit.channel().writeInbound(heap(frame(0x1, true, 20, 20)));
        assertEquals(1, legit.sink().messages.size(), "small whole messages go on");
        legit.sink().messages.forEach(io.netty.util.ReferenceCountUtil::release);
        assertEquals(1.0, metrics.registry().get("improv_errors").tag("code", "input_budget").counter().count());
        small.channel().close();
        assertEquals(0, budget.total());
        big.channel().finishAndReleaseAll();
        small.channel().finishAndReleaseAll();
        assertFalse(legit.channel().finishAndReleaseAll());
    }

    @Test
    void wireBytesFollowTheMinimalLengthEncoding() {
        assertEquals(6 + 125, WebSocketInputBudget.wireBytes(125));
        assertEquals(8 + 126, WebSocketInputBudget.wireBytes(126));
        assertEquals(8 + 65_535, WebSocketInputBudget.wireBytes(65_535));
        assertEquals(14 + 65_536, WebSocketInputBudget.wireBytes(65_536));
    }

    private static ByteBuf heap(byte[] bytes) {
        return io.netty.buffer.Unpooled.wrappedBuffer(bytes);
    }

    /** A masked client frame announcing {@code length} bytes, with the first {@code sent} of them. */
    private static byte[] frame(int opcode, boolean fin, int length, int sent) {
        byte[] payload = new byte[sent];
        java.util.Arrays.fill(payload, (byte) 'a');
        return RawWebSocket.maskedFrame(opcode, fin, length, payload);
    }
}
