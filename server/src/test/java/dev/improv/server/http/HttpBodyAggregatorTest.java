package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.improv.server.protocol.ProtocolCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An oversized body gets 413 in the API's error shape and the connection closes; the route never runs. */
class HttpBodyAggregatorTest {
    @Test
    void anOversizedBodyIs413WithTheErrorShape() throws Exception {
        boolean[] ran = {false};
        EmbeddedChannel ch = new EmbeddedChannel(new HttpBodyAggregator(16), new HttpRouteHandler(RouteTable.of(
                List.of(Route.post("/api/rooms", Route.Access.PUBLIC, ex -> ran[0] = true)), r -> true, n -> n),
                ctx -> { }));
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/rooms");
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 40);
        ch.writeInbound(head, new DefaultHttpContent(Unpooled.copiedBuffer("x".repeat(20), StandardCharsets.UTF_8)),
                new DefaultLastHttpContent(Unpooled.copiedBuffer("y".repeat(20), StandardCharsets.UTF_8)));
        FullHttpResponse r = ch.readOutbound();
        try {
            assertEquals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, r.status());
            assertEquals("MESSAGE_TOO_LARGE", ProtocolCodec.mapper().readTree(r.content().toString(
                    StandardCharsets.UTF_8)).path("code").asText());
            assertEquals("close", r.headers().get(HttpHeaderNames.CONNECTION));
        } finally {
            r.release();
        }
        assertFalse(ran[0], "the route did not run");
        assertFalse(ch.isOpen(), "closed after the answer");
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }
}
