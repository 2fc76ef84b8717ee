package dev.improv.server.eventlog;

import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Restart cost of a big log. Not a test (Surefire runs only *Test classes). {@code write DIR SESSIONS EVENTS}
 * fills DIR's log with SESSIONS open room sessions of EVENTS events each (interleaved, as live rooms write them);
 * ({@code write DIR SESSIONS EVENTS crash}: then halts the JVM as a SIGKILL would, so the start finds the last
 * checkpoint written while running and the log after it; without it the clean stop writes one at the end);
 * {@code open DIR} opens it as a start does (scan and fold, then every room rebuilt with its restart marker) and
 * prints the times, the process CPU time and the heap after it. It publishes a restart marker in every session:
 * run {@code write} again for the next measurement. Run:
 * <pre>
 * mvn -B -q -o -pl server test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * CP=server/target/test-classes:server/target/classes:$(cat server/target/cp.txt)
 * java -cp $CP dev.improv.server.eventlog.WalRestartBenchmark write /tmp/big 1000 1000
 * java -Xmx1g -cp $CP dev.improv.server.eventlog.WalRestartBenchmark open /tmp/big
 * </pre>
 */
public final class WalRestartBenchmark {
    private WalRestartBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("write")) {
            write(dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]), args.length > 4 && args[4].equals("crash"));
        } else {
            open(dir);
        }
    }

    private static void write(Path dir, int sessions, int events, boolean crash) throws Exception {
        long t0 = System.nanoTime();
        RoomLimits limits = new RoomLimits(64, Map.of(), 30_000, 4096);
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(sessions);
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dir, FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 50),
                new ServerMetrics())) {
            List<SessionJournal.JournalSession> open = new ArrayList<>();
            for (int s = 0; s < sessions; s++) {
                String id = String.format("20261201T000000Z-room%05d-abcd", s);
                open.add(log.open(new SessionMeta(id, "room" + s, "Room " + s, 1_700_000_000_000_000L, null, 1,
                        "bench", List.of(), List.of()), limits, seq -> {
                            if (seq == events) {
                                written.countDown();
                            }
                        }));
            }
            for (int e = 1; e <= events; e++) {
                for (int s = 0; s < sessions; s++) {
                    open.get(s).append(e, event(e), e > 2 ? "m-" + s : null, e > 2 ? "c" + e : null);
                }
                if (e % 20 == 0) {
                    Thread.sleep(20); // let the writer drain (OFF: no fsync, it keeps up)
                }
            }
            written.await();
            if (crash) { // as a SIGKILL leaves it: no clean stop, no checkpoint at the end (the last is older)
                System.out.printf("wrote %d sessions x %d events in %d ms, then halted%n", sessions, events,
                        (System.nanoTime() - t0) / 1_000_000);
                Runtime.getRuntime().halt(0);
            }
        }
        System.out.printf("wrote %d sessions x %d events in %d ms%n", sessions, events,
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static byte[] event(long seq) {
        String json;
        if (seq == 1) {
            json = "{\"type\":\"member_joined\",\"seq\":1,\"ts\":1700000000000001,\"actor\":\"m-x\",\"member\":"
                    + "{\"id\":\"m-x\",\"name\":\"Mo\",\"role\":\"" + Role.MODERATOR.wireName()
                    + "\",\"connected\":true,\"muted\":false}}";
        } else if (seq == 2) {
            json = "{\"type\":\"member_joined\",\"seq\":2,\"ts\":1700000000000002,\"actor\":\"p-x\",\"member\":"
                    + "{\"id\":\"p-x\",\"name\":\"Ana\",\"role\":\"performer\",\"connected\":true,\"muted\":false}}";
        } else {
            json = "{\"type\":\"prompt\",\"seq\":" + seq + ",\"ts\":" + (1_700_000_000_000_000L + seq * 1000)
                    + ",\"actor\":\"m-x\",\"text\":\"A lighthouse keeper finds a message in a bottle, take " + seq
                    + "\",\"scene\":0}";
        }
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static void open(Path dir) throws Exception {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long mainCpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        List<java.util.concurrent.ScheduledExecutorService> owners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            owners.add(java.util.concurrent.Executors.newSingleThreadScheduledExecutor());
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        try (FileWriteAheadLog log = FileWriteAheadLog.open(dir, FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 50),
                new ServerMetrics())) {
            WriteAheadLog.Recovered r = log.takeRecovered();
            long folded = System.nanoTime();
            long foldCpu = threads.getCurrentThreadCpuTime() - mainCpu0;
            // what a start does next, before the port opens: rebuild every room (its restart marker included)
            dev.improv.server.room.RoomRegistry rooms = new dev.improv.server.room.RoomRegistry(
                    () -> owners.get(next.getAndIncrement() % owners.size()), bytes -> () -> { },
                    dev.improv.server.room.MicrosClock.monotonic(), new ServerMetrics(), log, "bench");
            int restored = 0;
            for (dev.improv.server.room.RecoveredRoom room : r.rooms()) {
                if (rooms.restore(room, dev.improv.server.room.RoomListener.NONE) != null) {
                    restored++;
                }
            }
            for (java.util.concurrent.ScheduledExecutorService o : owners) {
                o.submit(() -> { }).get(); // every room's restart marker is published
            }
            long serving = System.nanoTime();
            long cpu = os.getProcessCpuTime() - cpu0;
            long mainCpu = threads.getCurrentThreadCpuTime() - mainCpu0;
            r = null;
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.printf("scan + fold: %d ms (main thread CPU %d ms); rooms rebuilt: %d ms; to serving: %d ms "
                            + "(main thread CPU %d ms); process CPU %d ms; %d open rooms (%d rebuilt), heap after GC "
                            + "%d MiB (rooms held); /proc/loadavg %s%n",
                    (folded - t0) / 1_000_000, foldCpu / 1_000_000, (serving - folded) / 1_000_000,
                    (serving - t0) / 1_000_000, mainCpu / 1_000_000, cpu / 1_000_000, rooms.all().size(), restored,
                    (rt.totalMemory() - rt.freeMemory()) >> 20,
                    java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
            if (restored == 0) {
                throw new IllegalStateException("nothing recovered");
            }
        } finally {
            for (java.util.concurrent.ScheduledExecutorService o : owners) {
                o.shutdownNow();
            }
        }
    }
}
