package dev.improv.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The one set of reconnect rules: the Java clients' (ReconnectRules) and the pages' (js/socket.js) agree. */
class ReconnectRulesTest {
    @Test
    void backOffDoublesFromHalfASecondToTenSecondsWithJitterInTheUpperHalf() {
        List<Long> ceilings = new ArrayList<>();
        for (int attempt = 1; attempt <= 9; attempt++) {
            ceilings.add(ReconnectRules.ceilingMs(attempt));
        }
        assertEquals(List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L, 10_000L, 10_000L), ceilings);
        assertEquals(10_000L, ReconnectRules.ceilingMs(1_000_000), "no overflow however long it retries");
        for (int attempt = 1; attempt <= 9; attempt++) {
            long c = ReconnectRules.ceilingMs(attempt);
            assertEquals(c / 2, ReconnectRules.delayMs(attempt, () -> 0.0));
            long top = ReconnectRules.delayMs(attempt, () -> 0.999_999);
            assertTrue(top < c && top >= c - 1, "attempt " + attempt + ": " + top);
        }
    }

    @Test
    void finalRefusalsEndItAndEverythingElseIsRetried() {
        assertEquals(Optional.of(ErrorCode.KICKED), ReconnectRules.finalRefusal(ErrorCode.KICKED.closeCode(), null));
        assertEquals(Optional.of(ErrorCode.ROOM_CLOSED),
                ReconnectRules.finalRefusal(ErrorCode.ROOM_CLOSED.closeCode(), null));
        // a network drop (1006), a server stop (1001) or our own test abort (-1): retried
        for (int code : new int[] {1006, 1001, 1000, -1, 4000}) {
            assertEquals(Optional.empty(), ReconnectRules.finalRefusal(code, null), "close " + code);
        }
        // an error that names a final code just before a plain close decides it, as in socket.js
        assertEquals(Optional.of(ErrorCode.TOKEN_EXPIRED), ReconnectRules.finalRefusal(1000, ErrorCode.TOKEN_EXPIRED));
        for (ErrorCode code : ErrorCode.values()) {
            boolean expected = code.closesConnection() && !code.retryable();
            assertEquals(expected, ReconnectRules.isFinal(code), code.wireName());
            if (code.retryable()) {
                assertFalse(ReconnectRules.finalRefusal(code.closeCode(), code).isPresent(), code.wireName());
            }
        }
    }

    /**
     * socket.js takes its back-off from RECONNECT of protocol.js (generated from ReconnectRules): every number of
     * the rule comes from there, with the jitter in [ceiling/2, ceiling] and the count restarted by the welcome.
     */
    @Test
    void thePagesSocketUsesTheSameNumbers() throws Exception {
        String js = Files.readString(RepoFiles.root().resolve("web-client/src/main/resources/web/js/socket.js"));
        assertTrue(js.contains("import { RECONNECT } from './protocol.js';"), "socket.js imports the rules");
        for (String field : new String[] {"RECONNECT.minDelayMs", "RECONNECT.maxDelayMs", "RECONNECT.maxDoublings"}) {
            assertTrue(js.contains(field), "socket.js uses " + field);
        }
        assertTrue(js.contains("ceiling / 2 + Math.random() * ceiling / 2"), "jitter in [ceiling/2, ceiling]");
        assertTrue(js.contains("this.attempt = 0;"), "the welcome restarts the count");
        assertTrue(!Pattern.compile("\\b(500|10000)\\b").matcher(js).find(), "no back-off literals left in socket.js");
    }
}
