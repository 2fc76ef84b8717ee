package dev.improv.server.transport;

/**
 * A token bucket for one connection: {@code burst} tokens, refilled at {@code perSecond}. Not thread-safe; it
 * lives in a per-channel handler, so only that channel's event loop touches it.
 */
final class TokenBucket {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long lastRefill;

    TokenBucket(double perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.capacity = burst;
        this.tokens = burst;
        this.lastRefill = nowNanos;
    }

    boolean tryTake(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /**
     * Takes {@code n} tokens even when fewer are left (the bucket goes into debt: what was read has been read);
     * returns how many nanoseconds the refill needs to pay the debt back, 0 when there is none.
     */
    long takeOwing(long n, long nowNanos) {
        refill(nowNanos);
        tokens -= n;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perNano);
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastRefill;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * perNano);
            lastRefill = nowNanos;
        }
    }
}
