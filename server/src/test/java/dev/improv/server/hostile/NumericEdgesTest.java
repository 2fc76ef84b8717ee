package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import org.junit.jupiter.api.Test;

/** Numbers a hostile client sends: each refused with the field named, never accepted or overflowed. */
class NumericEdgesTest {
    private static ProtocolViolation refused(String json) {
        return assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeClient(json));
    }

    @Test
    void fractionalValuesForWholeNumberFieldsAreRefused() {
        assertEquals("clientTs", refused("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1.5}").field());
        assertEquals("durationMs", refused("{\"type\":\"prompt\",\"text\":\"x\",\"durationMs\":2500.5}").field());
    }

    @Test
    void timestampsThatWouldOverflowAreRefused() {
        ProtocolViolation v = refused("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":9223372036854775807}");
        assertEquals(ErrorCode.INVALID_FIELD, v.code());
        assertEquals("clientTs", v.field());
        assertEquals("clientTs", refused("{\"type\":\"time_sync\",\"clientTs\":9007199254740992}").field());
        ProtocolCodec.decodeClient("{\"type\":\"time_sync\",\"clientTs\":9007199254740991}"); // 2^53 - 1 is fine
    }

    @Test
    void aHugeNumberIsRefusedAndADeepValueNamesTheField() {
        // A number longer than Jackson's 1000-digit limit is refused; Jackson's constraint error carries
        // no parser position, so this one does not name the field yet (see the notes).
        ProtocolViolation huge = refused("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":"
                + "1".repeat(1001) + "}");
        assertTrue(huge.code() == ErrorCode.BAD_JSON || huge.code() == ErrorCode.INVALID_FIELD, huge.getMessage());
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        ProtocolViolation v = refused("{\"type\":\"prompt\",\"text\":\"x\",\"meta\":{\"a\":" + deep + "}}");
        assertTrue(v.code() == ErrorCode.BAD_JSON || v.code() == ErrorCode.INVALID_FIELD, v.getMessage());
        assertTrue(v.field() != null && v.field().startsWith("meta"), "names the field: " + v.field());
    }
}
