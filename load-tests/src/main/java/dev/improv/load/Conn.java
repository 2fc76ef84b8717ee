package dev.improv.load;

import io.netty.channel.Channel;
import java.util.BitSet;

/**
 * One generator WebSocket and what it has seen. {@link #seen} is touched on the channel's event loop only; the
 * volatile fields are written there (or by {@code WsClients.connect}) and read by the scenario thread.
 */
final class Conn {
    final Plan.Member member;
    /** Set by {@code WsClients.connect} when the connect starts. */
    volatile Channel channel;
    volatile long connectStartNanos;
    volatile long welcomeNanos;
    /** Welcomed or failed: the connect phase is done with it. */
    volatile boolean resolved;
    /** Message numbers of this room already received here: a second one is a duplicate. */
    final BitSet seen = new BitSet();

    Conn(Plan.Member member) {
        this.member = member;
    }
}
