package dev.improv.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The scaling curve of one benchmark folder (load-tests/scaling.sh): every fan-out run of one prompt period, by
 * target and room count, as scaling.md (a table, and per target the first point that lost a message or passed
 * {@link #P99_LIMIT_MS} ms p99) and two plots, scaling-p99.svg (corrected p99 against the prompt rate, log scale)
 * and scaling-cpu.svg (server CPU per delivery). A point whose run is missing (the server died or the generator
 * timed out) counts as failed: it is listed, not drawn.
 */
public final class ScalingCurve {
    static final double P99_LIMIT_MS = 50;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
            "#e377c2", "#17becf"};

    /** One measured point: a target at a room count. */
    record Point(String target, int rooms, int periodMs, double p50, double p99, double p999, long lost,
                 double cpuMicrosPerDelivery, double serverPct, String load) {
        double promptsPerSecond() {
            return rooms * 1000.0 / periodMs;
        }

        boolean failed() {
            return lost > 0 || p99 > P99_LIMIT_MS;
        }

        static Point of(JsonNode run) {
            JsonNode co = run.path("latencyCorrected");
            JsonNode cpu = run.path("cpu");
            return new Point(run.path("target").asText(), run.path("rooms").asInt(), run.path("periodMs").asInt(),
                    co.path("p50").asDouble(), co.path("p99").asDouble(), co.path("p999").asDouble(),
                    run.path("lost").asLong(), cpu.path("serverCpuMicrosPerDelivery").asDouble(),
                    cpu.path("serverPct").asDouble(), Report.load(run));
        }
    }

    private ScalingCurve() {
    }

    public static void main(String[] argv) throws IOException {
        Path dir = Path.of(argv.length > 0 ? argv[0] : ".");
        List<Point> points = new ArrayList<>();
        for (JsonNode run : Report.runs(dir)) {
            if (run.path("scenario").asText().equals("fanout") && run.has("latencyCorrected")) {
                points.add(Point.of(run));
            }
        }
        // One period per curve: the first run's (a folder with other cases keeps only the runs of that one).
        int period = points.isEmpty() ? 0 : points.get(0).periodMs();
        points.removeIf(p -> p.periodMs() != period);
        List<String> targets = argv.length > 1 ? List.of(argv[1].trim().split("\\s+")) : targetsOf(points);
        Files.writeString(dir.resolve("scaling.md"), table(points, targets));
        Files.writeString(dir.resolve("scaling-p99.svg"), chart(points, targets, "Fan-out p99 (CO-corrected) against "
                + "the prompt rate", "p99 ms (log)", true, Point::p99));
        Files.writeString(dir.resolve("scaling-cpu.svg"), chart(points, targets, "Server CPU per delivery",
                "µs per delivery", false, Point::cpuMicrosPerDelivery));
    }

    static List<String> targetsOf(List<Point> points) {
        List<String> targets = new ArrayList<>();
        points.forEach(p -> {
            if (!targets.contains(p.target())) {
                targets.add(p.target());
            }
        });
        return targets;
    }

    /** The first room count (in {@code rooms}, ascending) at which the target lost, passed the limit or has no run. */
    static Integer firstFailure(List<Point> points, String target, TreeSet<Integer> rooms) {
        for (int r : rooms) {
            Point p = find(points, target, r);
            if (p == null || p.failed()) {
                return r;
            }
        }
        return null;
    }

    static String table(List<Point> points, List<String> targets) {
        TreeSet<Integer> rooms = new TreeSet<>();
        points.forEach(p -> rooms.add(p.rooms()));
        int period = points.isEmpty() ? 200 : points.get(0).periodMs();
        StringBuilder md = new StringBuilder("# Scaling curve\n\n");
        md.append(String.format(Locale.ROOT, "Fan-out, rooms × 1 prompt per %d ms (1 moderator, 2 performers and a "
                + "recorder per room). Each cell: CO-corrected p50 / p99 / p99.9 ms, lost, server µs CPU per "
                + "delivery. **Bold**: lost a message or p99 over %.0f ms. Plots: scaling-p99.svg, "
                + "scaling-cpu.svg.%n%n", period, P99_LIMIT_MS));
        md.append("| rooms | prompts/s |");
        targets.forEach(t -> md.append(' ').append(t).append(" |"));
        md.append("\n|---:|---:|");
        targets.forEach(t -> md.append("---|"));
        md.append('\n');
        for (int r : rooms) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f |", r, r * 1000.0 / period));
            for (String t : targets) {
                Point p = find(points, t, r);
                if (p == null) {
                    md.append(" **no result** |");
                    continue;
                }
                String cell = String.format(Locale.ROOT, "%.2f / %.1f / %.1f, %d lost, %.1f µs", p.p50(), p.p99(),
                        p.p999(), p.lost(), p.cpuMicrosPerDelivery());
                md.append(' ').append(p.failed() ? "**" + cell + "**" : cell).append(" |");
            }
            md.append('\n');
        }
        md.append(String.format(Locale.ROOT, "%nFirst point that lost a message or passed %.0f ms p99:%n%n",
                P99_LIMIT_MS));
        for (String t : targets) {
            Integer at = firstFailure(points, t, rooms);
            md.append("- ").append(t).append(": ").append(at == null
                    ? String.format(Locale.ROOT, "none up to %d rooms (%.0f prompts/s)", rooms.isEmpty() ? 0
                    : rooms.last(), rooms.isEmpty() ? 0 : rooms.last() * 1000.0 / period)
                    : String.format(Locale.ROOT, "%d rooms (%.0f prompts/s)", at, at * 1000.0 / period)).append('\n');
        }
        md.append("\nLoad average (1, 5, 15 min) at the start → end of each run:\n\n");
        for (Point p : points.stream().sorted(Comparator.comparing(Point::rooms)).toList()) {
            md.append("- ").append(p.rooms()).append(' ').append(p.target()).append(": ").append(p.load())
                    .append('\n');
        }
        return md.toString();
    }

    private static Point find(List<Point> points, String target, int rooms) {
        return points.stream().filter(p -> p.target().equals(target) && p.rooms() == rooms).findFirst()
                .orElse(null);
    }

    /** A line chart: x = prompts per second, one polyline per target; failed points are drawn hollow. */
    static String chart(List<Point> points, List<String> targets, String title, String yLabel, boolean logY,
                        java.util.function.ToDoubleFunction<Point> y) {
        int w = 820, h = 500, left = 70, right = 190, top = 40, bottom = 60;
        double xMax = points.stream().mapToDouble(Point::promptsPerSecond).max().orElse(1);
        double yMin = logY ? 0.1 : 0;
        double yMax = Math.max(logY ? 1 : 1e-9, points.stream().mapToDouble(y).max().orElse(1));
        if (logY) {
            yMax = Math.pow(10, Math.ceil(Math.log10(yMax)));
        } else {
            yMax = niceCeiling(yMax);
        }
        double fyMin = yMin, fyMax = yMax;
        java.util.function.DoubleUnaryOperator sx = v -> left + v / xMax * (w - left - right);
        java.util.function.DoubleUnaryOperator sy = v -> {
            double f = logY ? (Math.log10(Math.max(v, fyMin)) - Math.log10(fyMin))
                    / (Math.log10(fyMax) - Math.log10(fyMin)) : (v - fyMin) / (fyMax - fyMin);
            return h - bottom - f * (h - top - bottom);
        };
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h, w, h));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", left, esc(title)));
        // Grid and y ticks.
        List<Double> ticks = new ArrayList<>();
        if (logY) {
            for (double v = yMin; v <= yMax * 1.0001; v *= 10) {
                ticks.add(v);
            }
        } else {
            for (int i = 0; i <= 5; i++) {
                ticks.add(yMax * i / 5);
            }
        }
        for (double v : ticks) {
            double py = sy.applyAsDouble(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left, py, w - right, py,
                    left - 6, py + 4, tick(v)));
        }
        for (int i = 0; i <= 5; i++) {
            double v = xMax * i / 5;
            double px = sx.applyAsDouble(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, top, px, h - bottom, px,
                    h - bottom + 18, tick(v)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">prompts per second "
                + "(rooms × 1 per period)</text>%n", left + (w - left - right) / 2, h - 18));
        s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" "
                + "text-anchor=\"middle\">%s</text>%n", top + (h - top - bottom) / 2, top + (h - top - bottom) / 2,
                esc(yLabel)));
        if (logY && P99_LIMIT_MS <= yMax) {
            double py = sy.applyAsDouble(P99_LIMIT_MS);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" "
                    + "stroke-dasharray=\"6 4\"/><text x=\"%d\" y=\"%.1f\" fill=\"#666\">%.0f ms</text>%n", left, py,
                    w - right, py, w - right - 40, py - 4, P99_LIMIT_MS));
        }
        for (int i = 0; i < targets.size(); i++) {
            String t = targets.get(i);
            String colour = COLOURS[i % COLOURS.length];
            List<Point> line = points.stream().filter(p -> p.target().equals(t))
                    .sorted(Comparator.comparingDouble(Point::promptsPerSecond)).toList();
            StringBuilder poly = new StringBuilder();
            for (Point p : line) {
                poly.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx.applyAsDouble(p.promptsPerSecond()),
                        sy.applyAsDouble(y.applyAsDouble(p))));
            }
            s.append(String.format(Locale.ROOT, "<polyline data-target=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"2\" points=\"%s\"/>%n", esc(t), colour, poly.toString().trim()));
            for (Point p : line) {
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" stroke=\"%s\" "
                        + "fill=\"%s\"><title>%s, %d rooms: %s</title></circle>%n",
                        sx.applyAsDouble(p.promptsPerSecond()), sy.applyAsDouble(y.applyAsDouble(p)), colour,
                        p.failed() ? "white" : colour, esc(t), p.rooms(), tick(y.applyAsDouble(p))));
            }
            int ly = top + 10 + i * 20;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">%s</text>%n", w - right + 12, ly, w - right + 36,
                    ly, colour, w - right + 42, ly + 4, esc(t)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\">hollow: lost or p99 &gt; %.0f ms"
                + "</text>%n", w - right + 12, top + 20 + targets.size() * 20, P99_LIMIT_MS));
        s.append("</svg>\n");
        return s.toString();
    }

    private static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String tick(double v) {
        if (v == 0) {
            return "0";
        }
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, v >= 1 ? "%.1f" : "%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
