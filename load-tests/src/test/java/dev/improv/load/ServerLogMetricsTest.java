package dev.improv.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class ServerLogMetricsTest {
    private static String scrape(double fsyncs, double le1ms, double le2ms, double inf, double sum) {
        return "# HELP improv_log_fsyncs_total fsyncs\n"
                + "# TYPE improv_log_fsyncs_total counter\n"
                + "improv_log_fsyncs_total " + fsyncs + "\n"
                + "improv_log_append_to_durable_seconds_bucket{le=\"0.001\"} " + le1ms + "\n"
                + "improv_log_append_to_durable_seconds_bucket{le=\"0.002\"} " + le2ms + "\n"
                + "improv_log_append_to_durable_seconds_bucket{le=\"+Inf\"} " + inf + "\n"
                + "improv_log_append_to_durable_seconds_count " + inf + "\n"
                + "improv_log_append_to_durable_seconds_sum " + sum + "\n"
                + "improv_fanout_seconds_count 12.0\n";
    }

    @Test
    void ratesAndPercentilesComeFromTheDifferenceOfTwoScrapes() {
        // Before: 100 appends, all under 1 ms. During: 1,000 more, 980 under 1 ms, 15 under 2 ms, 5 above.
        var before = ServerLogMetrics.parse(scrape(50, 100, 100, 100, 0.05));
        var after = ServerLogMetrics.parse(scrape(250, 1080, 1095, 1100, 1.05));
        ObjectNode out = Measure.JSON.createObjectNode();
        ServerLogMetrics.write(before, after, 10.0, out);
        assertEquals(20.0, out.path("log").path("fsyncsPerSecond").asDouble());
        assertEquals(1000, out.path("log").path("appended").asLong());
        assertEquals(0.2, out.path("log").path("fsyncsPerAppend").asDouble());
        assertEquals(1.0, out.path("log").path("appendToDurableMs").path("p50").asDouble());
        assertEquals(2.0, out.path("log").path("appendToDurableMs").path("p99").asDouble());
        assertEquals(-1.0, out.path("log").path("appendToDurableMs").path("p999").asDouble(), "beyond the last bound");
        assertEquals(1.0, out.path("log").path("appendToDurableMs").path("mean").asDouble());
    }

    @Test
    void aTargetWithoutTheLogWritesNothing() {
        ObjectNode out = Measure.JSON.createObjectNode();
        ServerLogMetrics.write(ServerLogMetrics.parse("x 1\n"), ServerLogMetrics.parse("x 2\n"), 1, out);
        assertFalse(out.has("log"));
    }
}
