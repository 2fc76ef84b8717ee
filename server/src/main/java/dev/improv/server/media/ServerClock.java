package dev.improv.server.media;

/**
 * This process's view of the server clock, from NTP-style {@code time_sync} exchanges over the room WebSocket.
 *
 * <p>The local clock is monotonic: the wall clock read once, advanced with {@link System#nanoTime()}, so that a
 * step of the system clock never moves a timestamp backwards (the same rule as the server's clock). For each
 * exchange: {@code offset = ((serverRecv - clientSend) + (serverSend - clientRecv)) / 2} and {@code rtt =
 * (clientRecv - clientSend) - (serverSend - serverRecv)}. Of the last {@link #WINDOW} samples, the one with the
 * smallest round trip wins: it is the least disturbed by queueing. Thread-safe (synchronized; a handful of calls
 * per second).
 */
public final class ServerClock {
    static final int WINDOW = 16;
    private final long baseMicros;
    private final long baseNanos;
    private final long[] offsets = new long[WINDOW];
    private final long[] rtts = new long[WINDOW];
    private int count;
    private int next;

    public ServerClock() {
        java.time.Instant start = java.time.Instant.now();
        this.baseMicros = start.getEpochSecond() * 1_000_000L + start.getNano() / 1_000;
        this.baseNanos = System.nanoTime();
    }

    /** Local monotonic time in microseconds since the epoch. */
    public long localMicros() {
        return localMicrosAt(System.nanoTime());
    }

    /** Local time of a {@link System#nanoTime()} reading. */
    public long localMicrosAt(long nanoTime) {
        return baseMicros + (nanoTime - baseNanos) / 1_000;
    }

    /** Adds one exchange; all four stamps in µs, client stamps from {@link #localMicros()}. */
    public synchronized void addSample(long clientSend, long serverRecv, long serverSend, long clientRecv) {
        long rtt = (clientRecv - clientSend) - (serverSend - serverRecv);
        long offset = Math.floorDiv((serverRecv - clientSend) + (serverSend - clientRecv), 2);
        offsets[next] = offset;
        rtts[next] = Math.max(0, rtt);
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
    }

    public synchronized boolean known() {
        return count > 0;
    }

    /** Server minus local, µs; 0 until a sample arrived. */
    public synchronized long offsetMicros() {
        return count == 0 ? 0 : offsets[best()];
    }

    /** Round trip of the sample in use, µs; the offset is within ±rtt/2 of the truth. */
    public synchronized long rttMicros() {
        return count == 0 ? -1 : rtts[best()];
    }

    /** Server time now, µs since the epoch. */
    public long serverMicros() {
        return localMicros() + offsetMicros();
    }

    /** Server time of a {@link System#nanoTime()} reading. */
    public long serverMicrosAt(long nanoTime) {
        return localMicrosAt(nanoTime) + offsetMicros();
    }

    private int best() {
        int b = 0;
        for (int i = 1; i < count; i++) {
            if (rtts[i] < rtts[b]) {
                b = i;
            }
        }
        return b;
    }
}
