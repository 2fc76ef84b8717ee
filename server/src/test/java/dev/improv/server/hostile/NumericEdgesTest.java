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
    void aHugeNumberAndADeepObjectNameTheirField() {
        ProtocolViolation huge = refused("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":"
                + "1".repeat(1001) + "}");
        assertEquals(ErrorCode.INVALID_FIELD, huge.code(), huge.getMessage());
        assertEquals("clientTs", huge.field(), huge.getMessage());
        assertTrue(huge.getMessage().contains("'clientTs'"), huge.getMessage());
        String deepArray = "[".repeat(10_000) + "]".repeat(10_000);
        ProtocolViolation v = refused("{\"type\":\"prompt\",\"text\":\"x\",\"meta\":{\"a\":" + deepArray + "}}");
        assertEquals("meta", v.field(), v.getMessage());
        String deepObject = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
        ProtocolViolation o = refused("{\"type\":\"prompt\",\"text\":\"x\",\"meta\":" + deepObject + "}");
        assertEquals(ErrorCode.INVALID_FIELD, o.code(), o.getMessage());
        assertEquals("meta", o.field(), o.getMessage());
        // the admin API's decoder names the field in the same way
        ProtocolViolation admin = assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeStrict(
                ("{\"ttlSeconds\":" + "9".repeat(1001) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                dev.improv.server.http.AdminBodies.NewLink.class));
        assertEquals("ttlSeconds", admin.field(), admin.getMessage());
    }

    @Test
    void anUnknownKeyIsRepeatedShortInTheError() {
        String key = "k".repeat(5000);
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> ProtocolCodec.decodeStrict(
                ("{\"" + key + "\":1}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                dev.improv.server.http.AdminBodies.NewLink.class));
        assertTrue(v.field().length() <= 101 && v.getMessage().length() < 200, v.field().length() + " / "
                + v.getMessage().length());
    }
}
