package dev.improv.server.dataset;

import dev.improv.server.eventlog.DatasetBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Quality measures of one performer in one take, from the take's speech segments (the performers' speaking marks
 * on the server timeline) and turns: speech ratio, overlap with the partners, longest silence, speaking balance and
 * the median gap before this performer's turns (conversation norm: about 200 ms), plus flags for takes a buyer
 * would reject. Computed at export time only (the live {@code qc_flag} events of issue 18 are not built). Pure.
 */
record TakeQuality(double speechRatio, double overlapRatio, double longestSilenceS, Double speakingBalance,
                   Long turnGapMedianMs, List<String> flags) {
    /** Speaking less than this share of the take: {@code mostly_silent}. */
    static final double MOSTLY_SILENT_BELOW = 0.2;
    /** More than this share of one's speech over a partner's: {@code talks_over}. */
    static final double TALKS_OVER_ABOVE = 0.5;
    /** A silence longer than this many seconds: {@code long_silence}. */
    static final double LONG_SILENCE_S = 30;

    static TakeQuality of(DatasetBuilder.Scene scene, DatasetBuilder.PerformerTrack track) {
        long start = scene.startTs();
        long end = scene.endTs() == null ? start : scene.endTs();
        long length = Math.max(1, end - start);
        List<long[]> own = merged(track.speech(), start, end);
        List<long[]> others = new ArrayList<>();
        long total = 0;
        for (DatasetBuilder.PerformerTrack t : scene.performers()) {
            List<long[]> m = merged(t.speech(), start, end);
            total += sum(m);
            if (!t.participant().equals(track.participant())) {
                others.addAll(m);
            }
        }
        others = merged(others);
        long speech = sum(own);
        long overlap = 0;
        for (long[] a : own) {
            for (long[] b : others) {
                overlap += Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
            }
        }
        long silence = 0;
        long cursor = start;
        for (long[] a : own) {
            silence = Math.max(silence, a[0] - cursor);
            cursor = Math.max(cursor, a[1]);
        }
        silence = Math.max(silence, end - cursor);
        double ratio = speech / (double) length;
        double overlapRatio = speech == 0 ? 0 : overlap / (double) speech;
        List<String> flags = new ArrayList<>();
        if (ratio < MOSTLY_SILENT_BELOW) {
            flags.add("mostly_silent");
        }
        if (overlapRatio > TALKS_OVER_ABOVE) {
            flags.add("talks_over");
        }
        if (silence / 1e6 > LONG_SILENCE_S) {
            flags.add("long_silence");
        }
        return new TakeQuality(round(ratio), round(overlapRatio), silence / 1e6,
                total == 0 ? null : round(speech / (double) total), medianGapBefore(scene, track.participant()),
                List.copyOf(flags));
    }

    /** Median of (this turn's start − the previous speaker's turn end) over the turns that change speaker to pid. */
    private static Long medianGapBefore(DatasetBuilder.Scene scene, String pid) {
        List<Object[]> turns = new ArrayList<>();
        for (DatasetBuilder.PerformerTrack t : scene.performers()) {
            t.turns().forEach(i -> turns.add(new Object[] {t.participant(), i}));
        }
        turns.sort(Comparator.comparingLong(o -> ((DatasetBuilder.Interval) o[1]).start()));
        List<Long> gaps = new ArrayList<>();
        for (int k = 1; k < turns.size(); k++) {
            if (turns.get(k)[0].equals(pid) && !turns.get(k - 1)[0].equals(pid)) {
                gaps.add((((DatasetBuilder.Interval) turns.get(k)[1]).start()
                        - ((DatasetBuilder.Interval) turns.get(k - 1)[1]).end()) / 1000);
            }
        }
        if (gaps.isEmpty()) {
            return null;
        }
        gaps.sort(Long::compare);
        return gaps.get(gaps.size() / 2);
    }

    private static List<long[]> merged(List<DatasetBuilder.Interval> intervals, long start, long end) {
        List<long[]> out = new ArrayList<>();
        for (DatasetBuilder.Interval i : intervals) {
            long a = Math.max(start, i.start());
            long b = Math.min(end, i.end());
            if (b > a) {
                out.add(new long[] {a, b});
            }
        }
        return merged(out);
    }

    private static List<long[]> merged(List<long[]> in) {
        List<long[]> sorted = new ArrayList<>(in);
        sorted.sort(Comparator.comparingLong(a -> a[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] a : sorted) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && a[0] <= last[1]) {
                last[1] = Math.max(last[1], a[1]);
            } else {
                out.add(new long[] {a[0], a[1]});
            }
        }
        return out;
    }

    private static long sum(List<long[]> intervals) {
        long s = 0;
        for (long[] a : intervals) {
            s += a[1] - a[0];
        }
        return s;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
