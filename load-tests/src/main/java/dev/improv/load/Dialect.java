package dev.improv.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.List;

/**
 * How one target speaks: how rooms are made, what the URL of a member is, what the welcome looks like, and how
 * the three kinds of test message are written. Every test message carries a key (room and message number) that
 * the receiver finds with {@link Markers} without parsing JSON.
 */
interface Dialect {
    /** What a received text frame is to the generator. */
    enum Kind { WELCOME, DATA, CONTROL, ERROR }

    String name();

    /** Creates {@code rooms} rooms on the target (when it needs that) and says who joins where. */
    List<Plan.Room> prepare(int rooms, Plan.Shape shape) throws Exception;

    /**
     * Classifies a text frame; answers protocol frames itself (Socket.IO open, connect and ping) on
     * {@code channel}. Called on the channel's event loop.
     */
    Kind classify(Channel channel, Plan.Member member, ByteBuf text);

    /**
     * A broadcast prompt of about {@code bytes} bytes carrying {@code key}; by default the room protocol's, which
     * the relays (bare, Node) speak too.
     */
    default String prompt(long key, int bytes) {
        return "{\"type\":\"prompt\",\"text\":\"" + padded(key, bytes - 30) + "\"}";
    }

    /** A signal of about {@code bytes} bytes to {@code to}, carrying {@code key}. */
    String signal(Plan.Member to, long key, int bytes);

    /** A performer's mark carrying {@code key}; by default the room protocol's. */
    default String mark(long key) {
        return "{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":" + (key + 1) + "}";
    }

    /** True when room events come back to their sender too (our server: every member gets every event). */
    boolean echoesToSender();

    /** The target's Prometheus text (ours: {@code /metrics}), or null when it has none. */
    default String metricsText() throws Exception {
        return null;
    }

    /** Pads a marker with 'x' up to about {@code bytes} characters. */
    static String padded(long key, int bytes) {
        String marker = Markers.marker(key);
        int pad = Math.max(0, bytes - marker.length() - 1);
        return marker + " " + "x".repeat(pad);
    }
}
