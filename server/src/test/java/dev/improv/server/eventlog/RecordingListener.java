package dev.improv.server.eventlog;

import dev.improv.server.room.SessionJournal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Remembers what the writer told one session, from the writer thread. */
final class RecordingListener implements SessionJournal.DurabilityListener {
    final List<Long> durable = new CopyOnWriteArrayList<>();
    final List<Long> reserved = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger recovered = new AtomicInteger();

    @Override
    public void durableUpTo(long seq) {
        durable.add(seq);
        calls.add("durable:" + seq);
    }

    @Override
    public void seqsReserved(long upTo) {
        reserved.add(upTo);
        calls.add("reserved:" + upTo);
    }

    long lastReserved() {
        return reserved.isEmpty() ? 0 : reserved.get(reserved.size() - 1);
    }

    @Override
    public void writeFailed(Exception cause) {
        failed.incrementAndGet();
        calls.add("failed");
    }

    @Override
    public void writeRecovered() {
        recovered.incrementAndGet();
        calls.add("recovered");
    }

    long lastDurable() {
        return durable.isEmpty() ? 0 : durable.get(durable.size() - 1);
    }
}
