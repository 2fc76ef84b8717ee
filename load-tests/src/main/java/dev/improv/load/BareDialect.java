package dev.improv.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * The bare relay ({@code peers.BareRelay}): rooms are URL paths, the peer id is a query parameter, a frame that
 * starts with {@code {"to":"id"} goes to that peer and any other frame to everyone else in the room.
 */
final class BareDialect implements Dialect {
    @Override
    public String name() {
        return "bare";
    }

    @Override
    public List<Plan.Room> prepare(int rooms, Plan.Shape shape) {
        List<Plan.Room> out = new ArrayList<>(rooms);
        long run = System.nanoTime() % 1_000_000; // fresh room names on every run against the same relay
        for (int r = 0; r < rooms; r++) {
            String roomId = "r" + run + "-" + r;
            out.add(new Plan.Room(r, roomId, members(r, shape, (role, peer) -> "/ws/rooms/" + roomId + "?id=" + peer)));
        }
        return out;
    }

    /** Members of one room in the order moderators, performers, recorders, observers; ids p0, p1, ... */
    static List<Plan.Member> members(int room, Plan.Shape shape, java.util.function.BinaryOperator<String> path) {
        List<Plan.Member> members = new ArrayList<>();
        addRole(members, room, "moderator", shape.moderators(), path);
        addRole(members, room, "performer", shape.performers(), path);
        addRole(members, room, "recorder", shape.recorders(), path);
        addRole(members, room, "observer", shape.observers(), path);
        return members;
    }

    private static void addRole(List<Plan.Member> members, int room, String role, int count,
                                java.util.function.BinaryOperator<String> path) {
        for (int i = 0; i < count; i++) {
            String peer = "p" + members.size();
            members.add(new Plan.Member(room, members.size(), role, peer, path.apply(role, peer)));
        }
    }

    @Override
    public Kind classify(Channel channel, Plan.Member member, ByteBuf text) {
        return ImprovDialect.startsWith(text, "{\"type\":\"welcome\"") ? Kind.WELCOME : Kind.DATA;
    }

    @Override
    public String signal(Plan.Member to, long key, int bytes) {
        return "{\"to\":\"" + to.peerId() + "\",\"type\":\"signal\",\"kind\":\"offer\",\"data\":{\"sdp\":\""
                + Dialect.padded(key, bytes - 80) + "\"}}";
    }

    @Override
    public boolean echoesToSender() {
        return false;
    }
}
