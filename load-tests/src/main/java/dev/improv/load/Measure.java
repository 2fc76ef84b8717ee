package dev.improv.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/** CPU of the generator and the server over one measured interval, and the JSON of a latency histogram. */
final class Measure {
    static final ObjectMapper JSON = new ObjectMapper();

    private final long serverPid;
    private final long selfPid = ProcessHandle.current().pid();
    private long startNanos;
    private double genStart;
    private double serverStart;
    private double serverJitStart;
    private String loadStart;
    private long serverSwitchesStart;
    private long genSwitchesStart;

    /** Further server processes (cluster mode: the other nodes, the NATS servers), summed as {@code clusterPct}. */
    private final long[] otherPids;
    private double othersStart;

    Measure(long serverPid) {
        this(serverPid, new long[0]);
    }

    Measure(long serverPid, long[] otherPids) {
        this.serverPid = serverPid;
        this.otherPids = otherPids.clone();
    }

    private double othersCpuSeconds() {
        double sum = 0;
        for (long pid : otherPids) {
            sum += ProcStats.cpuSeconds(pid);
        }
        return sum;
    }

    void start() {
        startNanos = System.nanoTime();
        genStart = ProcStats.cpuSeconds(selfPid);
        serverStart = serverPid > 0 ? ProcStats.cpuSeconds(serverPid) : -1;
        serverJitStart = serverPid > 0 ? ProcStats.jitCpuSeconds(serverPid) : -1;
        loadStart = ProcStats.loadAverage();
        genSwitchesStart = ProcStats.contextSwitches(selfPid);
        serverSwitchesStart = serverPid > 0 ? ProcStats.contextSwitches(serverPid) : -1;
        othersStart = othersCpuSeconds();
    }

    /** Writes cpu (percent of one core, averaged over the interval), RSS and load averages into {@code out}. */
    void stop(ObjectNode out) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double gen = ProcStats.cpuSeconds(selfPid) - genStart;
        ObjectNode cpu = out.putObject("cpu");
        cpu.put("seconds", round(seconds));
        cpu.put("generatorPct", round(100 * gen / seconds));
        if (serverPid > 0) {
            double srv = ProcStats.cpuSeconds(serverPid) - serverStart;
            cpu.put("serverPct", round(100 * srv / seconds));
            double jit = ProcStats.jitCpuSeconds(serverPid) - serverJitStart;
            if (serverJitStart >= 0 && jit >= 0) {
                cpu.put("serverJitPct", round(100 * jit / seconds));
            }
            out.put("serverRssMiB", round(ProcStats.rssBytes(serverPid) / 1048576.0));
            cpu.put("serverContextSwitches", ProcStats.contextSwitches(serverPid) - serverSwitchesStart);
            if (otherPids.length > 0) { // the server and every other process named, one core = 100
                cpu.put("clusterPct", round(100 * (srv + othersCpuSeconds() - othersStart) / seconds));
            }
        }
        cpu.put("generatorContextSwitches", ProcStats.contextSwitches(selfPid) - genSwitchesStart);
        out.put("loadAvgStart", loadStart);
        out.put("loadAvgEnd", ProcStats.loadAverage());
    }

    static ObjectNode latency(Histogram h) {
        ObjectNode n = JSON.createObjectNode();
        n.put("count", h.getTotalCount());
        n.put("p50", ms(h.getValueAtPercentile(50)));
        n.put("p90", ms(h.getValueAtPercentile(90)));
        n.put("p99", ms(h.getValueAtPercentile(99)));
        n.put("p999", ms(h.getValueAtPercentile(99.9)));
        n.put("max", ms(h.getMaxValue()));
        n.put("mean", ms((long) h.getMean()));
        return n;
    }

    /** Nanoseconds to milliseconds, three decimals. */
    static double ms(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
