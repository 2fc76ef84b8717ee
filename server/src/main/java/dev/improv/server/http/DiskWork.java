package dev.improv.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Blocking work a route hands to a disk thread; it answers the exchange from there. */
@FunctionalInterface
interface DiskWork {
    void run() throws IOException;

    /**
     * Runs {@code work} on {@code disk}: a failure is answered by {@link HttpExchange#fail}, an executor that
     * refuses (shutting down) by 503 {@code SERVER_SHUTDOWN}. Never blocks the calling I/O thread.
     */
    static void offThread(HttpExchange ex, Executor disk, DiskWork work) {
        try {
            disk.execute(() -> {
                try {
                    work.run();
                } catch (Exception e) {
                    ex.fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, new ApiError("SERVER_SHUTDOWN", null,
                    "the server is shutting down"));
        }
    }
}
