package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReadFrameTest {
    private static final byte[] PROMPT = "{\"type\":\"prompt\",\"text\":\"hello\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aFrameIsReadIntoAnArrayOfItsOwnSize() throws IOException {
        byte[] read = ProtocolCodec.readFrame(new ByteBufInputStream(Unpooled.wrappedBuffer(PROMPT)));
        assertArrayEquals(PROMPT, read);
        assertEquals(PROMPT.length, read.length);
    }

    @Test
    void aStreamThatDoesNotKnowItsLengthIsReadToTheEnd() throws IOException {
        InputStream unknown = new FilterInputStream(new ByteArrayInputStream(PROMPT)) {
            @Override
            public int available() {
                return 0;
            }
        };
        assertArrayEquals(PROMPT, ProtocolCodec.readFrame(unknown));
    }

    @Test
    void aStreamThatUnderstatesItsLengthLosesNothing() throws IOException {
        InputStream understated = new FilterInputStream(new ByteArrayInputStream(PROMPT)) {
            @Override
            public int available() {
                return 5;
            }
        };
        assertArrayEquals(PROMPT, ProtocolCodec.readFrame(understated));
    }

    @Test
    void decodingFromAFrameStreamGivesTheSameMessage() {
        assertEquals(ProtocolCodec.decodeClient(PROMPT),
                ProtocolCodec.decodeClient(new ByteBufInputStream(Unpooled.wrappedBuffer(PROMPT))));
    }
}
