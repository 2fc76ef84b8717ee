package dev.improv.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Our server as a child process of a benchmark, on this JVM's class path: started with a heap and its flags, its
 * output drained on a daemon thread (the lines a benchmark wants shown are printed), and waited for until
 * {@code /healthz} answers. Stopped by the caller, by its PID ({@link Process#destroy}).
 */
final class ServerProcess {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ServerProcess() {
    }

    /** Starts {@code dev.improv.server.Main} with {@code -Xmx heap} and {@code args}; prints the lines {@code shown} accepts. */
    static Process start(String heap, List<String> args, Predicate<String> shown) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                "dev.improv.server.Main"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread drain = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (shown.test(line)) {
                        System.out.println("  server: " + line);
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "server-output");
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /**
     * Polls {@code /healthz} every {@code pollMs} until it answers 200; returns {@link System#nanoTime()} of that
     * answer. Fails when the process exits or {@code wait} passes first.
     */
    static long awaitHealthy(Process server, int port, Duration wait, long pollMs) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server exited with " + server.exitValue());
            }
            try {
                if (HTTP.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return System.nanoTime();
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(pollMs);
        }
        throw new IllegalStateException("/healthz not OK within " + wait);
    }

    /** A port on the loopback address that was free a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
