package dev.improv.server.transport;

import dev.improv.server.room.FrameFactory;
import dev.improv.server.room.SharedFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * Copies an event's JSON once into a pooled direct buffer; every recipient gets a retained duplicate of it, so
 * N recipients cost one copy and N reference counts instead of N encodings.
 */
public final class ByteBufFrames implements FrameFactory {
    private final ByteBufAllocator allocator;

    public ByteBufFrames(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    @Override
    public SharedFrame wrap(byte[] utf8Json) {
        ByteBuf buf = allocator.directBuffer(utf8Json.length);
        buf.writeBytes(utf8Json);
        return new Frame(buf);
    }

    static final class Frame implements SharedFrame {
        private final ByteBuf content;

        Frame(ByteBuf content) {
            this.content = content;
        }

        /** A new WebSocket frame sharing this content; the caller owns (and the write releases) it. */
        TextWebSocketFrame newWebSocketFrame() {
            return new TextWebSocketFrame(content.retainedDuplicate());
        }

        @Override
        public void release() {
            content.release();
        }
    }
}
