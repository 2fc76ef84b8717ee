package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The quality conditions a {@code qc_flag} event names: what makes a take, or one performer's part of it, worth a
 * moderator's look while the scene runs (docs/dataset.md, "Quality flags"). Each has a server flag for its
 * threshold.
 */
public enum QcFlagKind {
    /** Speaks less than a share of the take (value: the speech ratio). */
    MOSTLY_SILENT("mostly_silent"),
    /** More than a share of their speech overlaps a partner's (value: the overlap ratio). */
    TALKS_OVER("talks_over"),
    /** Has not spoken for longer than a number of seconds (value: the silence so far, s). */
    LONG_SILENCE("long_silence"),
    /** Holds more than a share of all the performers' speech (value: their share). */
    DOMINATES("dominates"),
    /** The median gap before their turns is longer than a number of ms (value: the median, ms). */
    SLOW_TURNS("slow_turns"),
    /** Muted by a moderator for longer than a number of seconds in this take (value: time muted, s). */
    MUTED_LONG("muted_long"),
    /** Reconnected more often than allowed in this take (value: reconnects). */
    RECONNECTS("reconnects");

    private final String wire;

    QcFlagKind(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wireName() {
        return wire;
    }

    @JsonCreator
    public static QcFlagKind fromWire(String value) {
        for (QcFlagKind k : values()) {
            if (k.wire.equals(value)) {
                return k;
            }
        }
        throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "flag", "'flag' must be one of "
                + String.join(", ", java.util.Arrays.stream(values()).map(QcFlagKind::wireName).toList()));
    }
}
