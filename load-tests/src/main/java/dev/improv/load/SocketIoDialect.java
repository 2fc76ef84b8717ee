package dev.improv.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.ArrayList;
import java.util.List;

/**
 * Socket.IO v4 over a WebSocket from the first byte (no polling): Engine.IO {@code 0{..}} open, we send
 * {@code 40} (connect to "/"), the server answers {@code 40{..}}, we emit {@code join}; {@code 2} ping is
 * answered with {@code 3}; events are {@code 42["name",payload]}. Served by {@code peers.SocketIoRoomServer}.
 */
final class SocketIoDialect implements Dialect {
    static final String PATH = "/socket.io/?EIO=4&transport=websocket";

    @Override
    public String name() {
        return "socketio";
    }

    @Override
    public List<Plan.Room> prepare(int rooms, Plan.Shape shape) {
        List<Plan.Room> out = new ArrayList<>(rooms);
        long run = System.nanoTime() % 1_000_000;
        for (int r = 0; r < rooms; r++) {
            String roomId = "r" + run + "-" + r;
            out.add(new Plan.Room(r, roomId, BareDialect.members(r, shape, (role, peer) -> PATH)));
        }
        roomIds(out);
        return out;
    }

    /** The room id is not in the URL, so the join event needs it: kept per member by the generator. */
    static String join(String roomId, String peer) {
        return "42[\"join\",{\"room\":\"" + roomId + "\",\"id\":\"" + peer + "\"}]";
    }

    private final java.util.Map<Integer, String> roomIds = new java.util.concurrent.ConcurrentHashMap<>();

    void roomIds(List<Plan.Room> rooms) {
        for (Plan.Room r : rooms) {
            roomIds.put(r.index(), r.id());
        }
    }

    @Override
    public Kind classify(Channel channel, Plan.Member member, ByteBuf text) {
        int n = text.readableBytes();
        int at = text.readerIndex();
        byte first = n > 0 ? text.getByte(at) : 0;
        byte second = n > 1 ? text.getByte(at + 1) : 0;
        if (first == '2' && n == 1) {
            channel.writeAndFlush(new TextWebSocketFrame("3"));
            return Kind.CONTROL;
        }
        if (first == '0') {
            channel.writeAndFlush(new TextWebSocketFrame("40"));
            return Kind.CONTROL;
        }
        if (first == '4' && second == '0') {
            String roomId = roomIds.get(member.room());
            channel.writeAndFlush(new TextWebSocketFrame(join(roomId, member.peerId())));
            return Kind.CONTROL;
        }
        if (first == '4' && second == '4') {
            return Kind.ERROR;
        }
        if (ImprovDialect.startsWith(text, "42[\"welcome\"")) {
            return Kind.WELCOME;
        }
        return first == '4' && second == '2' ? Kind.DATA : Kind.CONTROL;
    }

    @Override
    public String prompt(long key, int bytes) {
        return "42[\"prompt\",{\"text\":\"" + Dialect.padded(key, bytes - 30) + "\"}]";
    }

    @Override
    public String signal(Plan.Member to, long key, int bytes) {
        return "42[\"signal\",{\"to\":\"" + to.peerId() + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\""
                + Dialect.padded(key, bytes - 80) + "\"}}]";
    }

    @Override
    public String mark(long key) {
        return "42[\"mark\",{\"kind\":\"turn_start\",\"clientTs\":" + (key + 1) + "}]";
    }

    @Override
    public boolean echoesToSender() {
        return false;
    }
}
