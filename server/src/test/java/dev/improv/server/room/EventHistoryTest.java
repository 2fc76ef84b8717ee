package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventHistoryTest {
    static byte[] event(long seq) {
        return Long.toString(seq).getBytes();
    }

    static void assertRun(List<byte[]> events, long from, long to) {
        assertEquals(to - from + 1, events.size());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(Long.toString(from + i), new String(events.get(i)));
        }
    }

    @Test
    void growsFromSmallToItsCapacityAndThenKeepsTheLastN() {
        EventHistory history = new EventHistory(100);
        for (long s = 1; s <= 99; s++) {
            history.add(s, event(s));
            assertEquals(1, history.firstAvailable(), "nothing dropped while growing, at seq " + s);
            assertRun(history.since(1), 1, s);
        }
        for (long s = 100; s <= 1000; s++) {
            history.add(s, event(s));
        }
        assertEquals(901, history.firstAvailable());
        assertRun(history.since(901), 901, 1000);
        assertRun(history.since(990), 990, 1000);
        assertNull(history.since(900));
    }
}
