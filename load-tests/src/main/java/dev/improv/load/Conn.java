package dev.improv.load;

import io.netty.channel.Channel;
import java.util.BitSet;

/** One generator WebSocket and what it has seen. Mutable fields are touched on its channel's event loop only. */
final class Conn {
    final Plan.Member member;
    /** Set once the TCP connect succeeded (event loop), read by the scenario thread. */
    volatile Channel channel;
    volatile long connectStartNanos;
    volatile long welcomeNanos;
    volatile boolean closed;
    /** Welcomed or failed: the connect phase is done with it. */
    volatile boolean resolved;
    /** Message numbers of this room already received here: a second one is a duplicate. */
    final BitSet seen = new BitSet();

    Conn(Plan.Member member) {
        this.member = member;
    }

    boolean welcomed() {
        return welcomeNanos != 0;
    }
}
