package dev.improv.server.transport;

import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import io.netty.channel.Channel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients' protocol errors and resource trouble, counted under their own codes and logged without a stack trace:
 * at most one line per connection and at most {@code perMinute} lines server-wide (the rest are counted, and the
 * number left out is logged once the minute is over). A client cannot fill the log. Thread-safe.
 */
final class ClientErrorLog {
    private static final Logger LOG = LoggerFactory.getLogger(ClientErrorLog.class);
    private static final AttributeKey<Boolean> LOGGED = AttributeKey.valueOf("improv.clientErrorLogged");
    private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ServerMetrics metrics;
    private final int perMinute;
    private long windowStart = System.nanoTime();
    private int loggedInWindow;
    private long leftOut;

    ClientErrorLog(ServerMetrics metrics, int perMinute) {
        this.metrics = metrics;
        this.perMinute = perMinute;
    }

    /** The error code a client's broken frame or message is counted under, or null when it is not the client's. */
    static ErrorCode classify(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CorruptedWebSocketFrameException corrupt) {
                WebSocketCloseStatus status = corrupt.closeStatus();
                if (status != null && status.code() == WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code()) {
                    return ErrorCode.INVALID_UTF8;
                }
                if (status != null && status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
                    return ErrorCode.FRAME_TOO_LARGE;
                }
                return ErrorCode.PROTOCOL_ERROR;
            }
            if (t instanceof TooLongFrameException) {
                return ErrorCode.FRAME_TOO_LARGE;
            }
        }
        return null;
    }

    /** True for the errors that mean memory ran out (direct or heap) while serving this connection. */
    static boolean outOfMemory(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /** Counts {@code code} and logs one line for this connection if the budget allows. */
    void report(Channel channel, ErrorCode code, String what) {
        metrics.error(code);
        if (channel.attr(LOGGED).setIfAbsent(Boolean.TRUE) != null) {
            return;
        }
        long leftOutBefore = take();
        if (leftOutBefore > 0) {
            LOG.info("{} more client errors were not logged in the last minute (see improv_errors_total)",
                    leftOutBefore);
        }
        if (leftOutBefore >= 0) {
            LOG.info("client {}: {} ({}); closing", channel.remoteAddress(), code.metricTag(), oneLine(what));
        }
    }

    /** Memory ran out: always worth a WARN line (within the same budget), never with a stack trace. */
    void outOfMemory(Channel channel, Throwable cause) {
        metrics.error(ErrorCode.INTERNAL);
        long leftOutBefore = take();
        if (leftOutBefore >= 0) {
            LOG.warn("out of memory while serving {}: {}; closing that connection to free its buffers",
                    channel.remoteAddress(), oneLine(String.valueOf(cause)));
        }
    }

    /**
     * Takes one line from the minute's budget: -1 when it is used up, else the number of lines left out in the
     * previous window (0 usually).
     */
    private synchronized long take() {
        long now = System.nanoTime();
        long reported = 0;
        if (now - windowStart >= WINDOW_NANOS) {
            reported = leftOut;
            windowStart = now;
            loggedInWindow = 0;
            leftOut = 0;
        }
        if (loggedInWindow >= perMinute) {
            leftOut++;
            return -1;
        }
        loggedInWindow++;
        return reported;
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.replace('\n', ' ').replace('\r', ' ');
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
