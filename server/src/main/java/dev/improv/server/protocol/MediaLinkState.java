package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The state of one peer-to-peer media connection as the page that holds it sees it (the browser's
 * {@code RTCPeerConnection.connectionState}, folded into what a moderator needs to know).
 */
public enum MediaLinkState {
    /** Not connected yet (negotiating, gathering, checking). */
    CONNECTING("connecting"),
    /** Connected: media can flow. */
    CONNECTED("connected"),
    /** Was connected and lost the path; the page is recovering (ICE restart or a new connection). */
    INTERRUPTED("interrupted"),
    /** Failed; the page replaces the connection. */
    FAILED("failed");

    private final String wire;

    MediaLinkState(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wireName() {
        return wire;
    }

    @JsonCreator
    public static MediaLinkState fromWire(String value) {
        for (MediaLinkState s : values()) {
            if (s.wire.equals(value)) {
                return s;
            }
        }
        throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "state",
                "'state' must be one of connecting, connected, interrupted, failed");
    }
}
