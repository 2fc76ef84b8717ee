package dev.improv.server.dataset;

import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Export throughput and peak heap. Not a test (Surefire runs only *Test classes). {@code write DIR SESSIONS MINUTES}
 * fills DIR with SESSIONS closed sessions of MINUTES minutes (two performers, two scenes, a 48 kHz track each, the
 * recorder's sync and VAD files, consent text 1 with the training scope); {@code export DIR OUT} exports them all
 * and prints wall time, GB/min, sessions/min, process CPU and the heap's peak. Run:
 * <pre>
 * mvn -B -q -o -pl server test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * CP=server/target/test-classes:server/target/classes:$(cat server/target/cp.txt)
 * java -cp $CP dev.improv.server.dataset.ExportBenchmark write /tmp/exp 100 10
 * java -Xmx256m -cp $CP dev.improv.server.dataset.ExportBenchmark export /tmp/exp /tmp/exp-out
 * </pre>
 */
public final class ExportBenchmark {
    private ExportBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("write")) {
            int sessions = Integer.parseInt(args[2]);
            double minutes = Double.parseDouble(args[3]);
            new ConsentTexts(dir).put(new ConsentTexts.ConsentText(1, "Recorded for training.", List.of("training"),
                    "tracks", 1L));
            long sceneUs = (long) ((minutes * 60 - 3) / 2 * 1_000_000);
            for (int i = 0; i < sessions; i++) {
                ScriptedSessions.write(dir, String.format("20251202T%06dZ-bench-%04d", i, i), i % 7, "bench", 1,
                        minutes * 60, sceneUs);
            }
            System.out.println("wrote " + sessions + " sessions of " + minutes + " min under " + dir);
            return;
        }
        Path out = Path.of(args[2]);
        SeamlessExport export = new SeamlessExport(dir, new SessionArchive(new SessionFiles(dir)), "bench");
        long cpu0 = cpu();
        long t0 = System.nanoTime();
        SeamlessExport.Result r = export.export(new ExportRequest(null, Set.of(), null, null, null, null, 0,
                List.of("en"), null), out, (id, done, total, bytes) -> {
                    if (done % 10 == 0 || done == total) {
                        System.err.printf("%d/%d sessions, %.2f GB%n", done, total, bytes / 1e9);
                    }
                });
        double s = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("%d sessions, %d samples, %d shards, %.2f GB in %.1f s: %.2f GB/min, %.1f sessions/min; "
                        + "process CPU %.1f s; peak heap (sum of pool peaks) %d MiB, max heap %d MiB; out %s%n",
                r.sessions(), r.samples(), r.shards(), r.bytes() / 1e9, s, r.bytes() / 1e9 / (s / 60),
                r.sessions() / (s / 60), (cpu() - cpu0) / 1e9, peak >> 20, Runtime.getRuntime().maxMemory() >> 20,
                Files.exists(out));
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
