package dev.improv.server.take;

import java.util.ArrayList;
import java.util.List;

/**
 * Places one performer's chunks on the server timeline. Every chunk says when (page clock) its first sample was
 * captured; the page clock is moved onto the server's with the one offset whose time-sync round trip was the
 * smallest of the take (a single offset, so that a later, worse estimate cannot shift part of the track). Within
 * one capture segment the samples are contiguous, so a least-squares line through (sample, server time) gives
 * the server time of the first sample and the audio clock's drift; the largest distance of a chunk stamp from
 * that line, plus half the best round trip (the time sync's own bound), is the estimated alignment error. Pure.
 */
public final class TrackAlignment {
    public static final int SAMPLE_RATE = 48_000;
    private static final double US_PER_SAMPLE = 1e6 / SAMPLE_RATE;

    /** One capture segment's fit; {@code capture} as its first chunk said (null from older pages). */
    public record Segment(int segment, int firstChunk, long firstSample, long samples, long serverUs,
                          Double driftPpm, long maxResidualUs, String capture) {
    }

    /** The track's placement. */
    public record Placement(long offsetUs, long rttUs, List<Segment> segments, long firstSampleServerUs,
                            Double driftPpm, long alignErrorUs) {
    }

    private TrackAlignment() {
    }

    /** @param chunks the chunks present, sorted by index; not empty */
    public static Placement place(List<ChunkMeta> chunks) {
        ChunkMeta best = chunks.get(0);
        for (ChunkMeta c : chunks) {
            if (c.rttUs() < best.rttUs()) {
                best = c;
            }
        }
        long offset = best.offsetUs();
        List<Segment> segments = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= chunks.size(); i++) {
            if (i == chunks.size() || chunks.get(i).segment() != chunks.get(from).segment()) {
                segments.add(fit(chunks.subList(from, i), offset));
                from = i;
            }
        }
        Segment longest = segments.get(0);
        long maxResidual = 0;
        for (Segment s : segments) {
            if (s.samples() > longest.samples()) {
                longest = s;
            }
            maxResidual = Math.max(maxResidual, s.maxResidualUs());
        }
        return new Placement(offset, best.rttUs(), segments, segments.get(0).serverUs(), longest.driftPpm(),
                maxResidual + best.rttUs() / 2);
    }

    /** Least squares over the chunk stamps of one segment: server µs = a + b · sample. */
    private static Segment fit(List<ChunkMeta> chunks, long offset) {
        ChunkMeta first = chunks.get(0);
        ChunkMeta last = chunks.get(chunks.size() - 1);
        long samples = last.sample() + last.samples() - first.sample();
        int n = chunks.size();
        double sx = 0;
        double sy = 0;
        for (ChunkMeta c : chunks) {
            sx += c.sample() - first.sample();
            sy += c.clientUs() + offset - (first.clientUs() + offset);
        }
        double mx = sx / n;
        double my = sy / n;
        double sxx = 0;
        double sxy = 0;
        for (ChunkMeta c : chunks) {
            double x = c.sample() - first.sample() - mx;
            double y = c.clientUs() - first.clientUs() - my;
            sxx += x * x;
            sxy += x * y;
        }
        // one chunk, or chunks too close together to see a drift: the nominal rate
        boolean measurable = n >= 3 && sxx > 0 && (last.sample() - first.sample()) >= 5L * SAMPLE_RATE;
        double b = measurable ? sxy / sxx : US_PER_SAMPLE;
        // The stamps are upper bounds (a sample is stamped when it reached the page, never before it was
        // captured), so the line goes through the earliest of them: the lower envelope at the fitted slope.
        double a = Double.MAX_VALUE; // µs after first.clientUs at sample first.sample()
        for (ChunkMeta c : chunks) {
            a = Math.min(a, c.clientUs() - first.clientUs() - b * (c.sample() - first.sample()));
        }
        long maxResidual = 0;
        for (ChunkMeta c : chunks) {
            double predicted = a + b * (c.sample() - first.sample());
            double actual = c.clientUs() - first.clientUs();
            maxResidual = Math.max(maxResidual, Math.round(Math.abs(actual - predicted)));
        }
        long serverUs = first.clientUs() + offset + Math.round(a);
        Double drift = measurable ? (b / US_PER_SAMPLE - 1) * 1e6 : null;
        return new Segment(first.segment(), first.index(), first.sample(), samples, serverUs, drift, maxResidual,
                first.capture());
    }
}
