package dev.improv.server.protocol;

import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * How every client of a room or lobby socket reconnects: the rules the pages' {@code js/socket.js} follows, kept
 * here once for the Java clients (the media recorder) and generated into {@code protocol.js} as
 * {@code RECONNECT} for the pages (ReconnectRulesTest checks that socket.js uses these numbers).
 *
 * <ul>
 *   <li>Back-off with jitter: attempt {@code n} (1, 2, …) waits a uniformly random time in
 *       {@code [c/2, c]}, where {@code c = min(MAX_DELAY_MS, MIN_DELAY_MS · 2^min(n−1, MAX_DOUBLINGS))}: 0.25–0.5 s,
 *       0.5–1 s, 1–2 s, … up to 5–10 s. No limit on the number of attempts: a room that comes back after a
 *       restart is rejoined whenever it comes back.</li>
 *   <li>Connected means the welcome arrived, not the socket opened: the attempt count restarts at 0 then.</li>
 *   <li>Resume: the next attempt carries {@code lastSeq}, the last room event seen, so nothing is missed and
 *       nothing is seen twice.</li>
 *   <li>Final refusals end it instead of a retry: a close code of an error that closes the connection and is not
 *       retryable ({@link ErrorCode#retryable()}), or such an error message received just before the close
 *       (whatever the close code).</li>
 * </ul>
 */
public final class ReconnectRules {
    public static final long MIN_DELAY_MS = 500;
    public static final long MAX_DELAY_MS = 10_000;
    public static final int MAX_DOUBLINGS = 6;

    private ReconnectRules() {
    }

    /** The upper bound of the wait before attempt {@code attempt} (1-based). */
    public static long ceilingMs(int attempt) {
        int doublings = Math.max(0, Math.min(attempt - 1, MAX_DOUBLINGS));
        return Math.min(MAX_DELAY_MS, MIN_DELAY_MS << doublings);
    }

    /** The wait before attempt {@code attempt} (1-based), with {@code random} uniform in [0, 1). */
    public static long delayMs(int attempt, DoubleSupplier random) {
        long ceiling = ceilingMs(attempt);
        return ceiling / 2 + (long) (random.getAsDouble() * ceiling / 2);
    }

    /** An error that ends the connection for good: retrying would be refused again. */
    public static boolean isFinal(ErrorCode code) {
        return code != null && code.closesConnection() && !code.retryable();
    }

    /**
     * The final refusal behind a close, if it is one: the close code's error, or else the error message that came
     * just before the close ({@code lastError}, may be null).
     */
    public static Optional<ErrorCode> finalRefusal(int closeCode, ErrorCode lastError) {
        Optional<ErrorCode> byClose = ErrorCode.forCloseCode(closeCode).filter(ReconnectRules::isFinal);
        if (byClose.isPresent()) {
            return byClose;
        }
        return isFinal(lastError) ? Optional.of(lastError) : Optional.empty();
    }
}
