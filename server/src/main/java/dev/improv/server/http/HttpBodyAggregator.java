package dev.improv.server.http;

import dev.improv.server.protocol.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Netty's aggregator with the API's answer to an oversized request body: 413 in the protocol's error shape
 * ({@code MESSAGE_TOO_LARGE}), then the connection closes; the rest of the body is drained and dropped first
 * ({@link LingeringClose}) so a client still uploading gets the answer. One per channel.
 */
public final class HttpBodyAggregator extends HttpObjectAggregator {
    private final int maxBodyBytes;

    public HttpBodyAggregator(int maxBodyBytes) {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        HttpResponses.sendErrorBeforeBody(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                ApiError.of(ErrorCode.MESSAGE_TOO_LARGE, null, "request bodies are at most " + maxBodyBytes
                        + " bytes"));
    }
}
