package dev.improv.server.quality;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One take's quality measures, kept incrementally: a sweep over the timeline in arrival order. Between two
 * changes the set of speakers is constant, so each change adds the elapsed time to every speaker (and to their
 * overlap when two or more speak) and then applies itself: O(performers) per change, and {@link #measures} is a
 * projection to any later time that changes nothing. A change stamped before the last one (a mark's client clock
 * corrected onto the server timeline may be a few ms behind) counts at the last one's time, so the sweep never
 * goes back and replaying the log in seq order gives exactly what the room measured live. Not thread-safe: one
 * owner (a room's thread, or the export).
 */
public final class TakeMeter {
    /** Gaps kept per performer and take for the distribution (a 10 minute take has a few hundred turns). */
    static final int MAX_GAPS = 4096;

    private final int scene;
    private final long startUs;
    private final Map<String, Performer> performers = new LinkedHashMap<>();
    private long now;
    private int speakers;
    /** The performer who stopped last when nobody spoke any more, and when. */
    private String floorHolder;
    private long floorFreeSince;

    public TakeMeter(int scene, long startUs) {
        this.scene = scene;
        this.startUs = startUs;
        this.now = startUs;
    }

    public int scene() {
        return scene;
    }

    public long startUs() {
        return startUs;
    }

    /** The performers of the take, in the order they came in. */
    public List<String> performers() {
        return List.copyOf(performers.keySet());
    }

    public boolean has(String pid) {
        return performers.containsKey(pid);
    }

    /** A performer is part of the take from {@code t} (present at its start, joined during it, or first heard). */
    public void add(String pid, boolean connected, long t) {
        if (!performers.containsKey(pid)) {
            advance(t);
            performers.put(pid, new Performer(now, connected));
        }
    }

    /** A speaking_start (true) or speaking_stop (false) mark at {@code t}. */
    public void speaking(String pid, boolean on, long t) {
        add(pid, true, t);
        advance(t);
        Performer p = performers.get(pid);
        if (on == p.speaking) {
            return; // a second start (or stop) changes nothing
        }
        if (on) {
            p.longestSilence = Math.max(p.longestSilence, now - p.lastSpeechEnd);
            if (speakers > 0) {
                p.overlapped++;
            } else if (floorHolder != null && !floorHolder.equals(pid)) {
                p.gap(now - floorFreeSince);
            }
            p.speaking = true;
            speakers++;
        } else {
            stop(pid, p);
        }
    }

    private void stop(String pid, Performer p) {
        p.speaking = false;
        p.lastSpeechEnd = now;
        speakers--;
        if (speakers == 0) {
            floorHolder = pid;
            floorFreeSince = now;
        }
    }

    /** A moderator muted (true) or unmuted the performer. */
    public void muted(String pid, boolean on, long t) {
        Performer p = performers.get(pid);
        if (p == null) {
            return;
        }
        advance(t);
        if (on && !p.muted) {
            p.mutedSince = now;
        } else if (!on && p.muted) {
            p.mutedTotal += now - p.mutedSince;
        }
        p.muted = on;
    }

    /** The performer's connection dropped (false: they stop speaking) or came back (true: a reconnect). */
    public void presence(String pid, boolean connected, long t) {
        Performer p = performers.get(pid);
        if (p == null) {
            if (connected) {
                add(pid, true, t);
            }
            return;
        }
        advance(t);
        if (!connected && p.speaking) {
            stop(pid, p);
        }
        if (connected && !p.connected) {
            p.reconnects++;
        }
        p.connected = connected;
    }

    /** Moves the sweep to {@code t} (never back), adding the time since the last change to the speakers. */
    private void advance(long t) {
        if (t <= now) {
            return;
        }
        long dt = t - now;
        if (speakers > 0) {
            for (Performer p : performers.values()) {
                if (p.speaking) {
                    p.speech += dt;
                    if (speakers > 1) {
                        p.overlap += dt;
                    }
                }
            }
        }
        now = t;
    }

    /** Every performer's measures at {@code atUs} (not before the last change); changes nothing. */
    public Map<String, Measures> measures(long atUs) {
        long at = Math.max(atUs, now);
        long dt = at - now;
        long total = 0;
        for (Performer p : performers.values()) {
            total += p.speech + (p.speaking ? dt : 0);
        }
        Map<String, Measures> out = new LinkedHashMap<>();
        for (Map.Entry<String, Performer> e : performers.entrySet()) {
            Performer p = e.getValue();
            long speech = p.speech + (p.speaking ? dt : 0);
            long overlap = p.overlap + (p.speaking && speakers > 1 ? dt : 0);
            long elapsed = Math.max(1, at - p.since);
            long silenceNow = p.speaking ? 0 : at - p.lastSpeechEnd;
            long muted = p.mutedTotal + (p.muted ? at - p.mutedSince : 0);
            out.put(e.getKey(), new Measures(at, seconds(at - p.since), seconds(speech),
                    round(speech / (double) elapsed), speech == 0 ? 0 : round(overlap / (double) speech),
                    seconds(Math.max(p.longestSilence, silenceNow)), seconds(silenceNow),
                    total == 0 ? null : round(speech / (double) total), p.turnGaps(), seconds(muted), p.reconnects));
        }
        return out;
    }

    private static double seconds(long us) {
        return Math.round(us / 1000.0) / 1000.0;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** One performer's running sums. */
    private static final class Performer {
        final long since;
        boolean connected;
        boolean speaking;
        long speech;
        long overlap;
        long lastSpeechEnd;
        long longestSilence;
        boolean muted;
        long mutedSince;
        long mutedTotal;
        int reconnects;
        int overlapped;
        long[] gaps = new long[16];
        int gapCount;
        /** The distribution of the gaps so far, made again only after a new gap. */
        Measures.TurnGaps stats = new Measures.TurnGaps(0, null, null, 0);

        Performer(long since, boolean connected) {
            this.since = since;
            this.lastSpeechEnd = since;
            this.connected = connected;
        }

        void gap(long us) {
            if (gapCount == MAX_GAPS) {
                return; // the distribution of the first MAX_GAPS turns stands for the take
            }
            if (gapCount == gaps.length) {
                gaps = Arrays.copyOf(gaps, gaps.length * 2);
            }
            gaps[gapCount++] = us / 1000;
            stats = null;
        }

        Measures.TurnGaps turnGaps() {
            if (stats == null || stats.overlapped() != overlapped) {
                if (gapCount == 0) {
                    stats = new Measures.TurnGaps(0, null, null, overlapped);
                } else {
                    long[] sorted = Arrays.copyOf(gaps, gapCount);
                    Arrays.sort(sorted);
                    stats = new Measures.TurnGaps(gapCount, sorted[(gapCount - 1) / 2],
                            sorted[Math.min(gapCount - 1, (int) Math.ceil(gapCount * 0.9) - 1)], overlapped);
                }
            }
            return stats;
        }
    }
}
