package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A full writer queue drops and counts data, never a command; everything applies in arrival order. */
class MediaWriterThreadTest {
    /** Applies items into a list; the first item waits until the test opens the gate, so the queue fills up. */
    static final class GatedWriter extends MediaWriterThread {
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch firstTaken = new CountDownLatch(1);
        final List<Object> applied = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        GatedWriter(int capacity) {
            super("test-writer", "R", "test", capacity);
            start();
        }

        @Override
        protected void apply(Object item) throws java.io.IOException {
            firstTaken.countDown();
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            applied.add(item);
        }

        @Override
        protected void closeFiles() {
            closed = true;
        }
    }

    @Test
    void commandsAreNeverDroppedAndDataDropsAreCounted() throws Exception {
        GatedWriter w = new GatedWriter(2);
        assertTrue(w.enqueue("d0", 1));
        assertTrue(w.firstTaken.await(30, TimeUnit.SECONDS), "the writer holds d0 at the gate");
        assertTrue(w.enqueue("d1", 1));
        assertTrue(w.enqueue("d2", 1));
        assertFalse(w.enqueue("d3", 1), "two data items queued: the third is dropped");
        w.command("checkpoint");
        w.command("close-track");
        assertFalse(w.enqueue("d4", 1), "commands take no data place, and free none");
        assertEquals(2, w.dropped());
        w.gate.countDown();
        w.close(30_000);
        assertEquals(List.of("d0", "d1", "d2", "checkpoint", "close-track"), w.applied);
        assertTrue(w.closed);
    }

    @Test
    void takingDataFreesItsPlace() throws Exception {
        GatedWriter w = new GatedWriter(1);
        w.gate.countDown();
        for (int i = 0; i < 50; i++) {
            assertTrue(w.enqueue("d" + i, 1) || w.dropped() > 0);
        }
        w.close(30_000);
        assertEquals(50, w.applied.size() + w.dropped(), "every item applied or counted as dropped");
    }
}
