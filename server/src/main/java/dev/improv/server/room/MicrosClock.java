package dev.improv.server.room;

/**
 * Server time in microseconds since the epoch. The default reads the wall clock once and advances it with
 * {@link System#nanoTime()}, so that timestamps never go backwards when NTP steps the system clock; a restart
 * re-reads the wall clock.
 */
@FunctionalInterface
public interface MicrosClock {
    long nowMicros();

    static MicrosClock monotonic() {
        java.time.Instant start = java.time.Instant.now();
        long baseMicros = start.getEpochSecond() * 1_000_000L + start.getNano() / 1_000;
        long baseNanos = System.nanoTime();
        return () -> baseMicros + (System.nanoTime() - baseNanos) / 1_000;
    }
}
