package dev.improv.server.room;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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
        EventHistory history = new EventHistory(100, Long.MAX_VALUE);
        for (long s = 1; s <= 100; s++) {
            history.add(s, event(s));
            assertEquals(1, history.firstAvailable(), "nothing dropped while growing, at seq " + s);
            assertRun(history.since(1), 1, s);
        }
        for (long s = 101; s <= 1000; s++) {
            history.add(s, event(s));
        }
        assertEquals(901, history.firstAvailable());
        assertRun(history.since(901), 901, 1000);
        assertRun(history.since(990), 990, 1000);
        assertNull(history.since(900));
        assertNull(history.get(900));
        assertEquals("950", new String(history.get(950)));
        assertNull(history.get(1001));
    }

    @Test
    void isBoundedByBytesBeforeItsEventCount() {
        long maxBytes = 10_000;
        EventHistory history = new EventHistory(4096, maxBytes);
        byte[] big = new byte[1000];
        for (long s = 1; s <= 100; s++) {
            Arrays.fill(big, (byte) s);
            history.add(s, big.clone());
            assertTrue(history.bytes() <= maxBytes, "held " + history.bytes() + " bytes at seq " + s);
        }
        assertEquals(10, history.size(), "ten events of 1000 bytes fit in 10,000 bytes");
        assertEquals(91, history.firstAvailable());
        assertEquals(10_000, history.bytes());
        for (long s = 91; s <= 100; s++) {
            assertEquals((byte) s, history.get(s)[0], "seq " + s + " kept intact");
        }
        assertNull(history.get(90));
    }

    @Test
    void keepsTheNewestEventEvenWhenItAloneIsLargerThanTheBound() {
        EventHistory history = new EventHistory(64, 5_000);
        for (long s = 1; s <= 20; s++) {
            history.add(s, new byte[100]);
        }
        byte[] huge = new byte[8_000];
        history.add(21, huge);
        assertEquals(21, history.firstAvailable());
        assertArrayEquals(huge, history.get(21));
        history.add(22, new byte[100]);
        assertEquals(22, history.firstAvailable(), "the huge one goes as soon as a newer event exists");
        assertEquals(100, history.bytes());
    }

    @Test
    void smallEventsAfterBigOnesRefillUpToTheCountBound() {
        EventHistory history = new EventHistory(32, 4_000);
        for (long s = 1; s <= 10; s++) {
            history.add(s, new byte[1_000]);
        }
        for (long s = 11; s <= 200; s++) {
            history.add(s, event(s));
        }
        assertEquals(32, history.size());
        assertEquals(169, history.firstAvailable());
        assertRun(history.since(169), 169, 200);
    }
}
