package dev.improv.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The write-ahead log's own numbers over one measured interval, from two scrapes of our server's Prometheus
 * text: fsyncs per second ({@code improv_log_fsyncs_total}) and the append → durable time
 * ({@code improv_log_append_to_durable_seconds} histogram). Percentiles are read from the bucket deltas, so each
 * is the upper bound of the bucket it falls in (Micrometer's buckets are ~10–25 % apart).
 */
final class ServerLogMetrics {
    private static final String FSYNCS = "improv_log_fsyncs_total";
    private static final String DURABLE = "improv_log_append_to_durable_seconds";

    /** One scrape: the fsync counter and the cumulative histogram (upper bound in seconds → count). */
    record Snapshot(double fsyncs, TreeMap<Double, Double> buckets, double count, double sumSeconds) {
    }

    private ServerLogMetrics() {
    }

    static Snapshot parse(String prometheusText) {
        double fsyncs = -1;
        double count = 0;
        double sum = 0;
        TreeMap<Double, Double> buckets = new TreeMap<>();
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            if (name.startsWith(FSYNCS)) {
                fsyncs = value;
            } else if (name.startsWith(DURABLE + "_bucket{")) {
                int le = name.indexOf("le=\"");
                String bound = name.substring(le + 4, name.indexOf('"', le + 4));
                buckets.put(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound), value);
            } else if (name.startsWith(DURABLE + "_count")) {
                count = value;
            } else if (name.startsWith(DURABLE + "_sum")) {
                sum = value;
            }
        }
        return new Snapshot(fsyncs, buckets, count, sum);
    }

    /** Writes {@code log: {fsyncsPerSecond, appended, appendToDurableMs: {p50, p99, p999, mean}}} into out. */
    static void write(Snapshot before, Snapshot after, double seconds, ObjectNode out) {
        if (before == null || after == null || after.fsyncs() < 0) {
            return;
        }
        ObjectNode log = out.putObject("log");
        log.put("fsyncsPerSecond", Measure.round((after.fsyncs() - before.fsyncs()) / seconds));
        double n = after.count() - before.count();
        log.put("appended", (long) n);
        if (n > 0) {
            log.put("fsyncsPerAppend", Math.round((after.fsyncs() - before.fsyncs()) / n * 10_000) / 10_000.0);
            ObjectNode ms = log.putObject("appendToDurableMs");
            ms.put("p50", percentileMs(before, after, n, 0.50));
            ms.put("p99", percentileMs(before, after, n, 0.99));
            ms.put("p999", percentileMs(before, after, n, 0.999));
            ms.put("mean", Math.round((after.sumSeconds() - before.sumSeconds()) / n * 1e6) / 1000.0);
        }
    }

    private static double percentileMs(Snapshot before, Snapshot after, double n, double q) {
        for (Map.Entry<Double, Double> b : after.buckets().entrySet()) {
            double delta = b.getValue() - before.buckets().getOrDefault(b.getKey(), 0.0);
            if (delta >= q * n) {
                return b.getKey().isInfinite() ? -1 : Math.round(b.getKey() * 1e6) / 1000.0;
            }
        }
        return -1;
    }
}
