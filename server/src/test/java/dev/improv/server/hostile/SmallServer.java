package dev.improv.server.hostile;

import dev.improv.server.testing.ServerProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The server the memory attacks run against: a JVM of its own with a small heap ({@code -Xmx256m}) and small
 * direct memory, one I/O thread (so the attacker shares the legitimate room's thread), no fsync, GC lines in its
 * output. Shared by the back-pressure and direct-memory tests.
 */
final class SmallServer {
    private SmallServer() {
    }

    private static final java.util.regex.Pattern PAUSE = java.util.regex.Pattern.compile(
            "GC\\(\\d+\\) Pause.* ([0-9.]+)ms$");

    /** The server's GC pauses from its {@code -Xlog:gc} lines: how many, the longest, those over 100 ms. */
    static String gcPauses(List<String> output) {
        List<Double> pauses = new ArrayList<>();
        for (String line : output) {
            java.util.regex.Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                pauses.add(Double.parseDouble(m.group(1)));
            }
        }
        return String.format("GC pauses %d, longest %.1f ms, %d over 100 ms", pauses.size(),
                pauses.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                pauses.stream().filter(p -> p > 100).count());
    }

    static ServerProcess start(Path data, String adminKey, int maxDirectMib, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--data-dir",
                data.toString(), "--admin-key", adminKey, "--io-threads", "1", "--fsync", "OFF"));
        args.addAll(List.of(extraArgs));
        return ServerProcess.start(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=" + maxDirectMib + "m",
                "-Xlog:gc:stdout"), args);
    }
}
