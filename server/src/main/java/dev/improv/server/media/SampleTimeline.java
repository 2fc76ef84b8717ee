package dev.improv.server.media;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps a sample index of a recorded file to server time (µs since the epoch) through its sync points: linear
 * between two neighbouring points, and extrapolated at the nominal rate before the first and after the last.
 * This is the reading side of {@code <participantId>.sync.jsonl}; dataset tools can copy the arithmetic.
 */
public final class SampleTimeline {
    /** Sample {@code sample} (0-based, per channel) was played out at server time {@code serverUs}. */
    public record SyncPoint(long sample, long serverUs) {
    }

    private final List<SyncPoint> points;
    private final int sampleRate;

    /** Points must be in increasing sample order (as the recorder writes them). */
    public SampleTimeline(List<SyncPoint> points, int sampleRate) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a timeline needs at least one sync point");
        }
        List<SyncPoint> copy = new ArrayList<>(points);
        for (int i = 1; i < copy.size(); i++) {
            if (copy.get(i).sample() <= copy.get(i - 1).sample()) {
                throw new IllegalArgumentException("sync points must have increasing sample indexes");
            }
        }
        this.points = List.copyOf(copy);
        this.sampleRate = sampleRate;
    }

    /** Server µs of {@code sample}. */
    public long serverMicros(long sample) {
        int i = floorIndex(sample);
        if (i < 0) {
            return extrapolate(points.get(0), sample);
        }
        if (i == points.size() - 1) {
            return extrapolate(points.get(i), sample);
        }
        SyncPoint a = points.get(i);
        SyncPoint b = points.get(i + 1);
        return interpolate(a.sample(), a.serverUs(), b.sample(), b.serverUs(), sample);
    }

    /** Server µs of {@code sample} on the straight line through two sync points (the writer uses it for VAD). */
    static long interpolate(long aSample, long aServerUs, long bSample, long bServerUs, long sample) {
        double fraction = (double) (sample - aSample) / (bSample - aSample);
        return aServerUs + Math.round(fraction * (bServerUs - aServerUs));
    }

    /** The sample played at server time {@code serverUs} (the inverse, for looking up an event in the audio). */
    public long sampleAt(long serverUs) {
        SyncPoint first = points.get(0);
        long guess = first.sample() + Math.round((serverUs - first.serverUs()) * (double) sampleRate / 1e6);
        for (int iteration = 0; iteration < 4; iteration++) { // the mapping is nearly linear: converges at once
            long error = serverMicros(guess) - serverUs;
            if (Math.abs(error) * sampleRate < 1_000_000L) {
                break;
            }
            guess -= Math.round(error * (double) sampleRate / 1e6);
        }
        return guess;
    }

    private long extrapolate(SyncPoint p, long sample) {
        return p.serverUs() + Math.round((sample - p.sample()) * 1e6 / sampleRate);
    }

    private int floorIndex(long sample) {
        int lo = 0;
        int hi = points.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (points.get(mid).sample() <= sample) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    public List<SyncPoint> points() {
        return points;
    }
}
