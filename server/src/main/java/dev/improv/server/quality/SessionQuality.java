package dev.improv.server.quality;

import dev.improv.server.protocol.QcFlagKind;
import dev.improv.server.protocol.RoomEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished session's quality, replayed from its log in seq order through the same {@link QualityTimeline} and
 * {@link TakeMeter} the room used live: per take (scene) and performer the measures at the take's end, the
 * conditions that hold for them then (export-time flags), and the {@code qc_flag} events the room raised live.
 */
public final class SessionQuality {
    private final QualityTimeline timeline = new QualityTimeline();
    private final QcThresholds thresholds;
    private final Map<Integer, Map<String, Take>> takes = new LinkedHashMap<>();
    private long lastTs;
    /** Performers the session's metadata names, by the time they joined, until the log shows them. */
    private final Map<String, Long> fromMeta = new LinkedHashMap<>();

    /** Logs are read leniently, as the dataset view reads them (a field an older server did not write: default). */
    private static final com.fasterxml.jackson.databind.ObjectReader LOG_READER = dev.improv.server.protocol
            .ProtocolCodec.mapper().readerFor(RoomEvent.class)
            .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    public SessionQuality(QcThresholds thresholds) {
        this.thresholds = thresholds;
    }

    /**
     * One performer in one take: measures at the take's end, the conditions holding then, and the live flag
     * events of the take in order.
     */
    public record Take(Measures measures, List<String> flags, List<LiveFlag> liveFlags) {
    }

    /** A {@code qc_flag} event as the export keeps it. */
    public record LiveFlag(long seq, long ts, QcFlagKind flag, boolean raised, double value, double threshold) {
    }

    /**
     * A performer the session's metadata names (logs written without {@code member_joined} events): part of each
     * take that starts after {@code joinedAt}.
     */
    public void performer(String pid, long joinedAt) {
        fromMeta.put(pid, joinedAt);
    }

    /**
     * The next line of the log. A line that does not decode (a newer server's type, a damaged line) says nothing
     * about quality here; the dataset view reports it in its warnings.
     */
    public void accept(com.fasterxml.jackson.databind.JsonNode line) {
        RoomEvent e;
        try {
            e = LOG_READER.readValue(line);
        } catch (java.io.IOException | RuntimeException unreadable) {
            return;
        }
        accept(e);
    }

    /** The next event of the log. */
    public void accept(RoomEvent e) {
        lastTs = Math.max(lastTs, e.ts());
        if (e instanceof RoomEvent.SceneStarted && !fromMeta.isEmpty()) {
            fromMeta.forEach((pid, joined) -> {
                if (joined <= e.ts() && !timeline.knows(pid)) {
                    timeline.performer(pid, true);
                }
            });
        }
        if (e instanceof RoomEvent.QcFlag f) {
            liveFlags(f.scene(), f.participant()).add(new LiveFlag(f.seq(), f.ts(), f.flag(), f.raised(), f.value(),
                    f.threshold()));
            return;
        }
        TakeMeter ended = timeline.accept(e);
        if (ended != null) {
            close(ended, e.ts());
        }
    }

    private List<LiveFlag> liveFlags(int scene, String pid) {
        Map<String, Take> byPid = takes.computeIfAbsent(scene, k -> new LinkedHashMap<>());
        Take t = byPid.computeIfAbsent(pid, k -> new Take(null, List.of(), new ArrayList<>()));
        return t.liveFlags();
    }

    private void close(TakeMeter take, long endTs) {
        Map<String, Measures> all = take.measures(endTs);
        for (Map.Entry<String, Measures> m : all.entrySet()) {
            List<String> flags = QcRules.holding(m.getValue(), all.size(), java.util.Set.of(), thresholds).keySet()
                    .stream().map(QcFlagKind::wireName).toList();
            List<LiveFlag> live = liveFlags(take.scene(), m.getKey());
            takes.get(take.scene()).put(m.getKey(), new Take(m.getValue(), flags, live));
        }
    }

    /** After the last event: a take the log never ended ends at its last event (as the dataset view has it). */
    public SessionQuality finish() {
        TakeMeter running = timeline.take();
        if (running != null) {
            close(running, lastTs);
        }
        return this;
    }

    /** The take of {@code pid} in {@code scene} after the whole log was replayed, or null. */
    public Take take(int scene, String pid) {
        Map<String, Take> byPid = takes.get(scene);
        return byPid == null ? null : byPid.get(pid);
    }
}
