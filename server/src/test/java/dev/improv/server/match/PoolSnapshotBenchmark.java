package dev.improv.server.match;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Size and cost of a pool snapshot with N waiting performers (random preferences, one name each, time accounting
 * open): building it, encoding it to JSON, reading and restoring it (a start), and what the pool's thread spends
 * per segment roll (building it and handing it to a real log). Not a test (Surefire runs only *Test classes); run:
 * <pre>
 * mvn -B -q -o -pl server -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp server/target/test-classes:server/target/classes:$(cat server/target/cp.txt) \
 *     dev.improv.server.match.PoolSnapshotBenchmark
 * </pre>
 * Each figure is the median of 15 runs after 10 warm-ups, as thread CPU time (the box is shared).
 */
public final class PoolSnapshotBenchmark {
    private PoolSnapshotBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        for (int n : new int[] {100, 1_000, 10_000, 50_000}) {
            PoolFold fold = new PoolFold(LobbyConfig.of("bench", 1, "consent"), 2);
            Random rnd = new Random(n);
            for (int i = 0; i < n; i++) {
                String pid = "performer-" + i;
                fold.apply(new LobbyFact.Connected(pid, "Performer " + i, Role.PERFORMER));
                Preferences p = RandomPreferences.of(rnd, List.of("en", "de", "fr", "es", "it"),
                        List.of("drama", "comedy", "musical", "horror"), i + 1, 20);
                // one language each, so that few can be paired and the queue stays full
                fold.apply(new LobbyFact.Joined(pid, Set.of("l" + i), p.tags(), p.wantsTagOverlap(), p.avoid(), 1, i));
            }
            long[] build = new long[15];
            long[] encode = new long[15];
            long[] restore = new long[15];
            byte[] bytes = null;
            for (int round = -10; round < 15; round++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                PoolSnapshot s = fold.snapshot();
                long t1 = cpu.getCurrentThreadCpuTime();
                bytes = ProtocolCodec.mapper().writeValueAsBytes((LobbyFact) s);
                long t2 = cpu.getCurrentThreadCpuTime();
                PoolFold back = new PoolFold(s.config(), 2);
                back.apply(ProtocolCodec.mapper().readValue(bytes, LobbyFact.class));
                long t3 = cpu.getCurrentThreadCpuTime();
                if (round >= 0) {
                    build[round] = t1 - t0;
                    encode[round] = t2 - t1;
                    restore[round] = t3 - t2;
                }
            }
            System.out.printf("%,7d waiting: snapshot %,11d bytes (%d per performer); build %7.2f ms, JSON %7.2f ms; "
                            + "read + restore %7.2f ms%n", n, bytes.length, bytes.length / n,
                    median(build), median(encode), median(restore));
            System.out.printf("%,7d waiting: the lobby thread per roll (build + the log's record) %7.2f ms%n", n,
                    perRoll(fold, cpu));
        }
    }

    /**
     * What a pool's thread spends at a segment roll: {@link PoolFold#snapshot} and handing it to a real
     * {@link FileWriteAheadLog} (its {@code record}), thread CPU time, median of 15 after 5 warm-ups. The log is
     * closed after each round (which waits until the snapshot is written), so rounds do not pile up.
     */
    private static double perRoll(PoolFold fold, ThreadMXBean cpu) throws Exception {
        long[] roll = new long[15];
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("snapshot-roll-" + ProcessHandle.current().pid());
        try {
            for (int round = -5; round < 15; round++) {
                try (FileWriteAheadLog log = FileWriteAheadLog.open(dir.resolve("r" + round),
                        FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 100), new ServerMetrics())) {
                    long t0 = cpu.getCurrentThreadCpuTime();
                    log.record("bench", fold.snapshot());
                    long t1 = cpu.getCurrentThreadCpuTime();
                    if (round >= 0) {
                        roll[round] = t1 - t0;
                    }
                }
            }
        } finally {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(java.nio.file.Path::toFile)
                        .forEach(java.io.File::delete);
            }
        }
        return median(roll);
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }
}
