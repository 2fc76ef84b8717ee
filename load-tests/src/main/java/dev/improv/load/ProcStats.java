package dev.improv.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** CPU time and resident memory of a process from /proc, and the JVM heap of a server through jcmd. */
final class ProcStats {
    /** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every kernel we run on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** utime + stime in seconds, or -1 when the process is not readable. */
    static double cpuSeconds(long pid) {
        try {
            return cpuTicks(Path.of("/proc", Long.toString(pid), "stat")) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime in clock ticks from a process's or a thread's {@code stat} file. */
    private static long cpuTicks(Path statFile) throws IOException {
        String stat = Files.readString(statFile);
        // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * CPU seconds of a JVM's just-in-time compiler threads ({@code C1/C2 CompilerThread*}), summed over its threads,
     * or -1. Reported apart because it is warm-up, not work per message: a server with more code keeps compiling
     * for tens of seconds after the load starts (ours: a C2 thread at 20 % of a core 15 s in, 8 % at 45 s), and a
     * short benchmark would charge that to every delivery. Other processes (Node) have no such threads here: V8
     * compiles on its worker threads, which this cannot tell from its GC work.
     */
    static double jitCpuSeconds(long pid) {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String name = Files.readString(t.resolve("comm"));
                    if (!name.startsWith("C") || !name.contains("CompilerThre")) {
                        continue;
                    }
                    ticks += cpuTicks(t.resolve("stat"));
                } catch (IOException e) {
                    // the thread ended while we listed (compiler threads come and go): its time is lost for both
                }
            }
            return ticks / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Context switches (voluntary + involuntary) summed over the threads of a process, or -1. A thread that wakes
     * another (a task handed to an event loop parked in epoll_wait) shows up here, which is why this is reported
     * per delivered message.
     */
    static long contextSwitches(long pid) {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")
                                || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (IOException e) {
                    // the thread ended while we listed: its switches are lost for both samples alike
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmRSS in bytes, or -1. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The three load averages, as written in /proc/loadavg. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * Heap in use after a full GC, in bytes, via {@code jcmd <pid> GC.run} then {@code GC.heap_info}; -1 when
     * jcmd is missing or says nothing we understand. Bounded: each jcmd call gets 30 s.
     */
    static long heapUsedAfterGc(long pid) {
        if (jcmd(pid, "GC.run") == null) {
            return -1;
        }
        List<String> info = jcmd(pid, "GC.heap_info");
        if (info == null) {
            return -1;
        }
        // G1: " garbage-first heap   total 262144K, used 12345K [...]"
        for (String line : info) {
            String l = line.trim();
            int used = l.indexOf(" used ");
            if (l.contains("heap") && l.contains("total") && used >= 0) {
                String n = l.substring(used + 6).split("[^0-9]")[0];
                return Long.parseLong(n) * 1024;
            }
        }
        return -1;
    }

    private static List<String> jcmd(long pid, String command) {
        try {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (var r = p.inputReader()) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? lines : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
