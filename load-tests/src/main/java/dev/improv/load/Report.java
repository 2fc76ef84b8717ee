package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * Turns one benchmark folder (machine.json and one JSON per run from {@link LoadGenerator}) into report.md and
 * report.json: every case by target, our server as a ratio to the best peer, and the issue's targets checked.
 * Targets whose label starts with "improv" are ours; the others are peers.
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] argv) throws IOException {
        Path dir = Path.of(argv.length > 0 ? argv[0] : ".");
        List<JsonNode> runs = runs(dir);
        JsonNode machine = Files.exists(dir.resolve("machine.json"))
                ? Measure.JSON.readTree(dir.resolve("machine.json").toFile()) : Measure.JSON.createObjectNode();
        ObjectNode json = Measure.JSON.createObjectNode();
        json.set("machine", machine);
        ArrayNode arr = json.putArray("runs");
        runs.forEach(arr::add);
        ArrayNode verdicts = json.putArray("targets");
        StringBuilder md = new StringBuilder();
        md.append("# Load benchmark ").append(dir.getFileName()).append("\n\n");
        machine(md, machine);
        Map<String, List<JsonNode>> byCase = new LinkedHashMap<>();
        for (JsonNode r : runs) {
            byCase.computeIfAbsent(r.path("case").asText(), k -> new ArrayList<>()).add(r);
        }
        md.append("## Message flows\n\nLatency in ms: raw = receive − actual send; CO = receive − intended send "
                + "(corrected for coordinated omission). CPU in % of one core over the measured interval (2 cores "
                + "= 200 %). Load = 1-min load average at start → end of the measurement. Ratio = ours ÷ best peer "
                + "(lower is better; best peer = lowest CO p99).\n\n");
        md.append("| case | target | p50 raw | p90 raw | p99 raw | p99.9 raw | max raw | p50 CO | p90 CO | p99 CO "
                + "| p99.9 CO | max CO | sent | expected | received | lost | unexpected | CPU gen | CPU server "
                + "| server µs CPU / delivery | of it JIT compiler % | µs / delivery without JIT "
                + "| server ctx switches / delivery | server RSS MiB | load |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
                + "|---:|---:|---:|---:|---:|---|\n");
        List<String> ratios = new ArrayList<>();
        for (var e : byCase.entrySet()) {
            List<JsonNode> flow = e.getValue().stream().filter(r -> r.has("latencyCorrected")).toList();
            for (JsonNode r : flow) {
                JsonNode raw = r.path("latencyRaw");
                JsonNode co = r.path("latencyCorrected");
                md.append(String.format(Locale.ROOT,
                        "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        e.getKey(), r.path("target").asText(), n(raw, "p50"), n(raw, "p90"), n(raw, "p99"),
                        n(raw, "p999"), n(raw, "max"), n(co, "p50"), n(co, "p90"), n(co, "p99"), n(co, "p999"),
                        n(co, "max"), r.path("sent").asLong(), r.path("expected").asLong(),
                        r.path("received").asLong(), r.path("lost").asLong(), r.path("unexpected").asLong(),
                        n(r.path("cpu"), "generatorPct"), n(r.path("cpu"), "serverPct"),
                        n(r.path("cpu"), "serverCpuMicrosPerDelivery"), n(r.path("cpu"), "serverJitPct"),
                        n(r.path("cpu"), "serverCpuMicrosPerDeliveryWithoutJit"),
                        n(r.path("cpu"), "serverSwitchesPerDelivery"), n(r, "serverRssMiB"), load(r)));
            }
            JsonNode best = bestPeer(flow);
            for (JsonNode ours : flow.stream().filter(Report::ours).toList()) {
                if (best != null) {
                    JsonNode o = ours.path("latencyCorrected");
                    JsonNode b = best.path("latencyCorrected");
                    ratios.add(String.format(Locale.ROOT, "| %s | %s | %s | %s ms vs %s ms (×%s) | %s vs %s (×%s) "
                                    + "| %s vs %s (×%s) |", e.getKey(), ours.path("target").asText(),
                            best.path("target").asText(), n(o, "p50"), n(b, "p50"), ratio(o, b, "p50"),
                            n(o, "p99"), n(b, "p99"), ratio(o, b, "p99"), n(o, "p999"), n(b, "p999"),
                            ratio(o, b, "p999")));
                }
            }
        }
        md.append("\n### Ours as a ratio to the best peer (CO-corrected)\n\n| case | ours | best peer | p50 | p99 "
                + "| p99.9 |\n|---|---|---|---|---|---|\n");
        ratios.forEach(l -> md.append(l).append('\n'));

        md.append("\n### Write-ahead log (ours, from two scrapes of /metrics around the measured interval)\n\n"
                + "Append → durable percentiles are bucket upper bounds of the server's histogram.\n\n"
                + "| case | target | events appended | fsyncs / s | fsyncs / append | append→durable p50 ms | p99 ms "
                + "| p99.9 ms | mean ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : runs) {
            JsonNode log = r.path("log");
            if (log.has("fsyncsPerSecond") && log.path("appended").asLong() > 0) {
                JsonNode ms = log.path("appendToDurableMs");
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |%n",
                        r.path("case").asText(), r.path("target").asText(), log.path("appended").asLong(),
                        n(log, "fsyncsPerSecond"), n(log, "fsyncsPerAppend"), n(ms, "p50"), n(ms, "p99"),
                        n(ms, "p999"), n(ms, "mean")));
            }
        }

        md.append("\n## Idle connections\n\n| case | target | held | failures | server RSS before → after MiB "
                + "| RSS per conn KiB | heap before → after MiB (after full GC) | heap per conn KiB | CPU server idle "
                + "| dropped | load |\n|---|---|---:|---:|---|---:|---|---:|---:|---:|---|\n");
        for (JsonNode r : runs) {
            if (r.path("scenario").asText().equals("idle")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s → %s | %s | %s → %s | %s | %s | %d | %s |%n",
                        r.path("case").asText(), r.path("target").asText(), r.path("joined").asLong(),
                        r.path("joinFailures").asLong(), n(r, "serverRssBeforeMiB"), n(r, "serverRssAfterMiB"),
                        n(r, "rssPerConnKiB"), n(r, "heapBeforeMiB"), n(r, "heapAfterMiB"), n(r, "heapPerConnKiB"),
                        n(r.path("cpu"), "serverPct"), r.path("droppedWhileIdle").asLong(), load(r)));
            }
        }
        md.append("\n## Join storm\n\nJoin latency = TCP connect start → welcome received, in ms.\n\n| case | target "
                + "| joined | failures | p50 | p90 | p99 | p99.9 | max | all joined after ms | CPU gen | CPU server "
                + "| load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (JsonNode r : runs) {
            if (r.path("scenario").asText().equals("join")) {
                JsonNode j = r.path("joinLatency");
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        r.path("case").asText(), r.path("target").asText(), r.path("joined").asLong(),
                        r.path("joinFailures").asLong(), n(j, "p50"), n(j, "p90"), n(j, "p99"), n(j, "p999"),
                        n(j, "max"), n(r, "allJoinedAfterMs"), n(r.path("cpu"), "generatorPct"),
                        n(r.path("cpu"), "serverPct"), load(r)));
            }
        }
        md.append("\n## The issue's targets\n\n| target | result | evidence |\n|---|---|---|\n");
        checkTargets(runs, md, verdicts);
        md.append("\nSee load-tests/README.md for what each scenario measures and the analysis.\n");
        Files.writeString(dir.resolve("report.md"), md.toString());
        Files.writeString(dir.resolve("report.json"),
                Measure.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        System.out.println(md);
    }

    /** Every run of a benchmark folder ({@code runs/*.json}, one per generator run), in file-name order. */
    static List<JsonNode> runs(Path dir) throws IOException {
        List<JsonNode> runs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("runs"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                runs.add(Measure.JSON.readTree(f.toFile()));
            }
        }
        return runs;
    }

    private static void machine(StringBuilder md, JsonNode m) {
        md.append("## Machine\n\n");
        m.fields().forEachRemaining(f -> md.append("- **").append(f.getKey()).append("**: ")
                .append(f.getValue().asText().replace("\n", " ")).append('\n'));
        md.append('\n');
    }

    private static boolean ours(JsonNode r) {
        return r.path("target").asText().startsWith("improv");
    }

    private static JsonNode bestPeer(List<JsonNode> runs) {
        JsonNode best = null;
        for (JsonNode r : runs) {
            if (!ours(r) && r.path("lost").asLong() == 0 && (best == null
                    || r.path("latencyCorrected").path("p99").asDouble()
                    < best.path("latencyCorrected").path("p99").asDouble())) {
                best = r;
            }
        }
        return best;
    }

    private static void checkTargets(List<JsonNode> runs, StringBuilder md, ArrayNode verdicts) {
        // 1,000 rooms x 1 prompt / 200 ms, log on: p99 and p99.9 at or below the best peer's, 0 lost.
        for (JsonNode r : runs) {
            if (!ours(r) || !r.path("scenario").asText().equals("fanout")) {
                continue;
            }
            List<JsonNode> sameCase = runs.stream().filter(x -> x.path("case").equals(r.path("case"))).toList();
            JsonNode best = bestPeer(sameCase);
            if (best == null) {
                continue;
            }
            JsonNode o = r.path("latencyCorrected");
            JsonNode b = best.path("latencyCorrected");
            int rooms = r.path("rooms").asInt();
            long period = r.path("periodMs").asLong();
            String evidence;
            boolean ok;
            String name;
            if (rooms == 1000 && period == 200) {
                name = "1,000 rooms × 1 prompt / 200 ms (" + r.path("target").asText() + "): p99, p99.9 ≤ best peer, 0 lost";
                ok = o.path("p99").asDouble() <= b.path("p99").asDouble()
                        && o.path("p999").asDouble() <= b.path("p999").asDouble() && r.path("lost").asLong() == 0;
                evidence = String.format(Locale.ROOT, "p99 %s vs %s ms, p99.9 %s vs %s ms (%s), lost %d",
                        n(o, "p99"), n(b, "p99"), n(o, "p999"), n(b, "p999"), best.path("target").asText(),
                        r.path("lost").asLong());
            } else if (rooms == 100 && period == 100) {
                name = "100 rooms × 1 prompt / 100 ms (" + r.path("target").asText() + "): p50 within 0.1 ms of best peer";
                double best50 = sameCase.stream().filter(x -> !ours(x))
                        .mapToDouble(x -> x.path("latencyCorrected").path("p50").asDouble()).min().orElse(0);
                ok = o.path("p50").asDouble() - best50 <= 0.1;
                evidence = String.format(Locale.ROOT, "p50 %s ms vs best peer p50 %s ms", n(o, "p50"), best50);
            } else {
                continue;
            }
            verdict(md, verdicts, name, ok, evidence);
        }
        // #12: signal CPU per delivery <= 1.3x the bare relay's, in the same run.
        for (JsonNode r : runs) {
            if (!ours(r) || !r.path("scenario").asText().equals("signal")) {
                continue;
            }
            JsonNode bare = runs.stream().filter(x -> x.path("case").equals(r.path("case"))
                    && x.path("target").asText().equals("bare")).findFirst().orElse(null);
            if (bare == null) {
                continue;
            }
            double ourCpu = r.path("cpu").path("serverCpuMicrosPerDelivery").asDouble();
            double bareCpu = bare.path("cpu").path("serverCpuMicrosPerDelivery").asDouble();
            if (ourCpu <= 0 || bareCpu <= 0) {
                continue;
            }
            double ourSteady = r.path("cpu").path("serverCpuMicrosPerDeliveryWithoutJit").asDouble(ourCpu);
            double bareSteady = bare.path("cpu").path("serverCpuMicrosPerDeliveryWithoutJit").asDouble(bareCpu);
            verdict(md, verdicts, r.path("case").asText() + " (" + r.path("target").asText()
                            + "): server CPU per delivery ≤ 1.3× the bare relay's", ourCpu <= 1.3 * bareCpu,
                    String.format(Locale.ROOT, "%.1f vs %.1f µs (×%.2f); without the JIT compiler's threads %.1f vs "
                                    + "%.1f µs (×%.2f)", ourCpu, bareCpu, ourCpu / bareCpu, ourSteady, bareSteady,
                            ourSteady / bareSteady));
        }
        JsonNode bareIdle = runs.stream().filter(r -> r.path("scenario").asText().equals("idle")
                && r.path("target").asText().startsWith("bare")).findFirst().orElse(null);
        for (JsonNode r : runs) {
            if (ours(r) && r.path("scenario").asText().equals("idle")) {
                double ours = r.path("rssPerConnKiB").asDouble();
                double bare = bareIdle == null ? Double.NaN : bareIdle.path("rssPerConnKiB").asDouble();
                double oursHeap = r.path("heapPerConnKiB").asDouble();
                double bareHeap = bareIdle == null ? Double.NaN : bareIdle.path("heapPerConnKiB").asDouble();
                boolean ok = r.path("joined").asLong() >= 19000 && ours <= 1.5 * bare;
                verdict(md, verdicts, r.path("joined").asLong() + " idle connections (" + r.path("target").asText()
                        + "), RSS per connection ≤ 1.5× bare relay", ok, String.format(Locale.ROOT,
                        "RSS %s KiB vs %s KiB per connection (×%s); live heap %s KiB vs %s KiB (×%s); failures %d",
                        n(r, "rssPerConnKiB"), bare, bare > 0 ? String.format(Locale.ROOT, "%.2f", ours / bare) : "?",
                        n(r, "heapPerConnKiB"), bareHeap,
                        bareHeap > 0 ? String.format(Locale.ROOT, "%.2f", oursHeap / bareHeap) : "?",
                        r.path("joinFailures").asLong()));
            }
            if (ours(r) && r.path("scenario").asText().equals("join")) {
                JsonNode j = r.path("joinLatency");
                boolean ok = j.path("p99").asDouble() < 100 && r.path("joinFailures").asLong() == 0;
                String peers = runs.stream().filter(x -> !ours(x) && x.path("case").equals(r.path("case")))
                        .map(x -> x.path("target").asText() + " " + n(x.path("joinLatency"), "p99") + " ms")
                        .reduce((a, b) -> a + ", " + b).orElse("none");
                verdict(md, verdicts, r.path("case").asText() + " (" + r.path("target").asText()
                        + "): p99 join < 100 ms", ok, String.format(Locale.ROOT,
                        "p99 %s ms, max %s ms, failures %d; peers' p99: %s", n(j, "p99"), n(j, "max"),
                        r.path("joinFailures").asLong(), peers));
            }
        }
    }

    private static void verdict(StringBuilder md, ArrayNode verdicts, String name, boolean ok, String evidence) {
        md.append("| ").append(name).append(" | ").append(ok ? "**met**" : "**NOT met**").append(" | ")
                .append(evidence).append(" |\n");
        ObjectNode v = verdicts.addObject();
        v.put("target", name);
        v.put("met", ok);
        v.put("evidence", evidence);
    }

    private static String n(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? "–" : v.asText();
    }

    private static String ratio(JsonNode ours, JsonNode best, String field) {
        double b = best.path(field).asDouble();
        return b <= 0 ? "?" : String.format(Locale.ROOT, "%.2f", ours.path(field).asDouble() / b);
    }

    /** The 1-min load average at the run's start and end, "start → end". */
    static String load(JsonNode r) {
        return r.path("loadAvgStart").asText("?") + " → " + r.path("loadAvgEnd").asText("?");
    }
}
