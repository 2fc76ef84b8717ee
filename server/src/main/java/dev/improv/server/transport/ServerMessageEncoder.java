package dev.improv.server.transport;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ServerMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;

/** Encodes messages addressed to one connection (welcome, ack, error, signal) into text frames. */
@ChannelHandler.Sharable
final class ServerMessageEncoder extends MessageToMessageEncoder<ServerMessage> {
    static final ServerMessageEncoder INSTANCE = new ServerMessageEncoder();

    private ServerMessageEncoder() {
        super(ServerMessage.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ServerMessage msg, List<Object> out) {
        out.add(new TextWebSocketFrame(Unpooled.wrappedBuffer(ProtocolCodec.encode(msg))));
    }
}
