package dev.improv.server.eventlog;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The writer's own cost, apart from rooms and sockets: S sessions append 200-byte events at R events a second in
 * all (by default 1,000 sessions and 5,000 a second, the shape of the benchmark's 1,000 rooms × 1 prompt/200 ms),
 * under {@code --fsync BATCH} (or the policy named) on a real file, for D seconds. Reports the {@code wal-writer} thread's CPU per event
 * and per fsync, fsyncs per event, and append → durable (the listener's {@code durableUpTo}) p50/p99/max. Not a
 * test (Surefire runs *Test classes); bounded in time; run:
 * <pre>
 * mvn -B -q -o -pl server -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp server/target/test-classes:server/target/classes:$(cat server/target/cp.txt) \
 *     dev.improv.server.eventlog.WalWriterBenchmark [sessions] [eventsPerSecond] [seconds] [BATCH|INTERVAL|OFF] [lingerMicros]
 * </pre>
 */
public final class WalWriterBenchmark {
    private WalWriterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        FsyncPolicy policy = args.length > 3 ? FsyncPolicy.valueOf(args[3]) : FsyncPolicy.BATCH;
        long lingerMicros = args.length > 4 ? Long.parseLong(args[4]) : 0;
        Path dir = Files.createTempDirectory("wal-writer-bench-" + ProcessHandle.current().pid());
        ServerMetrics metrics = new ServerMetrics();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long total = (long) rate * seconds;
        long[] appendedAt = new long[(int) total];
        long[] latency = new long[(int) total];
        AtomicLongArray durable = new AtomicLongArray(sessions); // last durable seq per session
        byte[] event = ("{\"type\":\"prompt\",\"seq\":0,\"ts\":0,\"actor\":\"m-xxxxxxxxxx\",\"text\":\""
                + "x".repeat(120) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dir, FileWriteAheadLog.Settings.of(policy, 50).withLingerMicros(lingerMicros),
                metrics)) {
            SessionJournal.JournalSession[] handles = new SessionJournal.JournalSession[sessions];
            long[][] seqIndex = new long[sessions][]; // per session: global index of its k-th event
            int perSession = (int) (total / sessions) + 2;
            for (int s = 0; s < sessions; s++) {
                int id = s;
                seqIndex[s] = new long[perSession + 1];
                long[] mine = seqIndex[s];
                handles[s] = log.open(new SessionMeta("bench-" + s, "room-" + s, "r", 0, null, 1, "bench", List.of(),
                        List.of()), seq -> {
                            long now = System.nanoTime();
                            for (long k = durable.get(id) + 1; k <= seq && k < mine.length; k++) {
                                int i = (int) mine[(int) k];
                                latency[i] = now - appendedAt[i];
                            }
                            durable.set(id, seq);
                        });
            }
            Thread.sleep(500); // reservations durable
            long writer = writerThreadId();
            long cpu0 = cpu.getThreadCpuTime(writer);
            double fsyncs0 = fsyncs(metrics);
            long start = System.nanoTime();
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            int[] next = new int[sessions];
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(Math.max(1, due - System.nanoTime() - 20_000));
                }
                int s = i % sessions;
                long seq = ++next[s];
                seqIndex[s][(int) seq] = i;
                appendedAt[i] = System.nanoTime();
                handles[s].append(seq, event);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int s = 0; s < sessions; s++) {
                while (durable.get(s) < next[s] && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            }
            long writerCpu = cpu.getThreadCpuTime(writer) - cpu0;
            double forced = fsyncs(metrics) - fsyncs0;
            long[] sorted = Arrays.stream(latency).filter(l -> l > 0).sorted().toArray();
            System.out.printf("%s linger %d µs, %d sessions, %d events/s for %d s: wal-writer %.1f %% of a core, %.2f µs CPU per event, "
                            + "%.1f µs per fsync; %.3f fsyncs per event (%.0f/s); append->durable p50 %.2f ms, "
                            + "p99 %.2f ms, max %.2f ms (%d of %d measured); loadavg %s%n", policy, lingerMicros, sessions, rate, seconds,
                    writerCpu / 1e7 / seconds, writerCpu / 1e3 / total, writerCpu / 1e3 / Math.max(1, forced),
                    forced / total, forced / seconds, sorted[sorted.length / 2] / 1e6,
                    sorted[(int) (sorted.length * 0.99)] / 1e6, sorted[sorted.length - 1] / 1e6, sorted.length, total,
                    Files.readString(Path.of("/proc/loadavg")).trim());
        } finally {
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(java.io.File::delete);
            }
        }
    }

    private static long writerThreadId() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(FileWriteAheadLog.THREAD_NAME))
                .findFirst().orElseThrow().getId();
    }

    private static double fsyncs(ServerMetrics metrics) {
        return metrics.registry().get("improv_log_fsyncs").counter().count();
    }
}
