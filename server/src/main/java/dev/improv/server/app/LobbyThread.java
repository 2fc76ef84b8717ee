package dev.improv.server.app;

import dev.improv.server.http.Route;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns every lobby pool (its ticks, matching, position updates and their messages), apart
 * from the Netty I/O loops: a tick of a crowded pool can take milliseconds (telling tens of thousands of
 * performers their new place), and on an I/O loop every socket and room of that loop would wait meanwhile.
 * Messages to members are handed to their channels' loops as usual. Stopped after the pools were closed and
 * before the session log, so the pools' last facts reach the log.
 */
final class LobbyThread implements Feature {
    private static final Logger LOG = LoggerFactory.getLogger(LobbyThread.class);

    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "lobby");
        t.setDaemon(true);
        return t;
    });

    LobbyThread() {
        // At shutdown: finish what is queued (the pools' stop tasks), drop ticks and grace timers.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        executor.setRemoveOnCancelPolicy(true);
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    @Override
    public List<Route> routes() {
        return List.of();
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("the lobby thread did not finish within 5 s");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
