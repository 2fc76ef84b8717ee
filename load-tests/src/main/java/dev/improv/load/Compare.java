package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Medians (and the best round's p99) over repeated rounds (several bench folders) per case and target, for comparisons on a noisy
 * machine: {@code java -cp improv-load.jar dev.improv.load.Compare DIR...}. Prints a Markdown table.
 */
public final class Compare {
    private Compare() {
    }

    public static void main(String[] dirs) throws IOException {
        Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
        for (String d : dirs) {
            try (Stream<Path> files = Files.list(Path.of(d, "runs"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                    JsonNode r = Measure.JSON.readTree(f.toFile());
                    if (r.has("latencyCorrected")) {
                        byKey.computeIfAbsent(r.path("case").asText() + " | " + r.path("target").asText(),
                                k -> new ArrayList<>()).add(r);
                    }
                }
            }
        }
        System.out.println("| case | target | rounds | p50 CO | p90 CO | p99 CO | p99 CO best round | p99.9 CO | max CO | lost (sum) "
                + "| CPU gen | CPU server | server µs CPU / delivery | µs / delivery without JIT | server ctx switches / delivery "
                + "| load at start (each round) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (var e : byKey.entrySet()) {
            List<JsonNode> rs = e.getValue();
            StringBuilder loads = new StringBuilder();
            long lost = 0;
            for (JsonNode r : rs) {
                loads.append(r.path("loadAvgStart").asText().split(" ")[0]).append(' ');
                lost += r.path("lost").asLong();
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s|%n",
                    e.getKey(),
                    rs.size(), med(rs, "latencyCorrected", "p50"), med(rs, "latencyCorrected", "p90"),
                    med(rs, "latencyCorrected", "p99"), min(rs, "latencyCorrected", "p99"),
                    med(rs, "latencyCorrected", "p999"),
                    med(rs, "latencyCorrected", "max"), lost, med(rs, "cpu", "generatorPct"),
                    med(rs, "cpu", "serverPct"), med(rs, "cpu", "serverCpuMicrosPerDelivery"),
                    med(rs, "cpu", "serverCpuMicrosPerDeliveryWithoutJit"),
                    med(rs, "cpu", "serverSwitchesPerDelivery"), loads);
        }
    }

    /** The best round: interference from other work on the machine only ever adds latency. */
    private static String min(List<JsonNode> rs, String obj, String field) {
        return String.format(Locale.ROOT, "%.3f",
                rs.stream().mapToDouble(r -> r.path(obj).path(field).asDouble()).min().orElse(Double.NaN));
    }

    private static String med(List<JsonNode> rs, String obj, String field) {
        double[] v = rs.stream().mapToDouble(r -> r.path(obj).path(field).asDouble()).sorted().toArray();
        double m = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return String.format(Locale.ROOT, "%.3f", m);
    }
}
