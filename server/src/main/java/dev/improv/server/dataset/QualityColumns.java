package dev.improv.server.dataset;

import dev.improv.server.quality.Measures;
import dev.improv.server.quality.SessionQuality;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sample's quality as the export writes it: the measures of the performer's take at its end (computed by the
 * {@code quality} package from the log, as the room computed them live), the conditions holding then under the
 * default thresholds, and the {@code qc_flag} events the room raised live. For the sample's {@code .json} and its
 * row in {@code samples.parquet}.
 */
record QualityColumns(Double speechRatio, Double overlapRatio, Double longestSilenceS, Double speakingBalance,
                      Long turnGapMedianMs, Long turnGapP90Ms, Long turnGaps, Double mutedS, Long reconnects,
                      String flags, String liveFlags, Map<String, Object> json) {
    static QualityColumns of(SessionQuality.Take take) {
        Measures m = take == null ? null : take.measures();
        Map<String, Object> json = new LinkedHashMap<>();
        List<Map<String, Object>> live = new ArrayList<>();
        if (take != null) {
            for (SessionQuality.LiveFlag f : take.liveFlags()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("flag", f.flag().wireName());
                one.put("raised", f.raised());
                one.put("value", f.value());
                one.put("threshold", f.threshold());
                one.put("ts", f.ts());
                one.put("seq", f.seq());
                live.add(one);
            }
        }
        List<String> flags = take == null ? List.of() : take.flags();
        if (m != null) {
            json.put("speechRatio", m.speechRatio());
            json.put("overlapRatio", m.overlapRatio());
            json.put("longestSilenceS", m.longestSilenceS());
            json.put("speakingBalance", m.speakingBalance());
            json.put("turnGapMedianMs", m.turnGaps().medianMs());
            json.put("turnGaps", m.turnGaps());
            json.put("mutedS", m.mutedS());
            json.put("reconnects", m.reconnects());
        }
        json.put("flags", flags);
        json.put("liveFlags", live);
        // the live flags raised in the take, each once, in the order they were first raised
        String raised = String.join(",", live.stream().filter(f -> (Boolean) f.get("raised"))
                .map(f -> (String) f.get("flag")).distinct().toList());
        return new QualityColumns(m == null ? null : m.speechRatio(), m == null ? null : m.overlapRatio(),
                m == null ? null : m.longestSilenceS(), m == null ? null : m.speakingBalance(),
                m == null ? null : m.turnGaps().medianMs(), m == null ? null : m.turnGaps().p90Ms(),
                m == null ? null : (long) m.turnGaps().count(), m == null ? null : m.mutedS(),
                m == null ? null : (long) m.reconnects(), String.join(",", flags), raised, json);
    }
}
