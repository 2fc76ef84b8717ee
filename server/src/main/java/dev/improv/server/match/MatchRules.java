package dev.improv.server.match;

import java.util.Set;

/**
 * How a pool matches. Thresholds are waits in milliseconds; {@link #NEVER} turns a relaxation off. The rules in
 * force for a group follow the wait of its longest waiter, the one being served: once it has waited long
 * enough, its partners no longer need to share a tag, may be recent partners, or (if enabled) may speak
 * another language. An explicit avoid is never relaxed.
 *
 * @param roomSize            performers per room, at least 2
 * @param recentSessions      two performers who played together in either one's last this-many sessions are
 *                            not grouped again until {@code relaxRepeatAfterMs}; 0 turns the rule off
 * @param relaxTagsAfterMs    wait after which the tag overlap requirement is dropped
 * @param relaxRepeatAfterMs  wait after which recent partners are allowed (still ranked last)
 * @param relaxLanguageAfterMs wait after which any language is allowed (still ranked last)
 * @param candidateLimit      per index bucket, how many compatible candidates are ranked before choosing; bounds
 *                            the work of one decision
 */
public record MatchRules(int roomSize, int recentSessions, long relaxTagsAfterMs, long relaxRepeatAfterMs,
                         long relaxLanguageAfterMs, int candidateLimit) {
    public static final long NEVER = Long.MAX_VALUE;

    /** Which constraints are dropped for a group. */
    public record Relaxation(boolean tags, boolean repeats, boolean language) {
        public static final Relaxation NONE = new Relaxation(false, false, false);
    }

    public MatchRules {
        if (roomSize < 2) {
            throw new IllegalArgumentException("roomSize must be at least 2");
        }
        if (recentSessions < 0 || relaxTagsAfterMs < 0 || relaxRepeatAfterMs < 0 || relaxLanguageAfterMs < 0) {
            throw new IllegalArgumentException("thresholds must not be negative");
        }
        if (candidateLimit < 1) {
            throw new IllegalArgumentException("candidateLimit must be at least 1");
        }
    }

    /** Pairs of two; no repeat of the last 3 sessions; tags relaxed after 1 min, repeats after 2 min. */
    public static MatchRules defaults() {
        return new MatchRules(2, 3, 60_000, 120_000, NEVER, 32);
    }

    public MatchRules withRoomSize(int size) {
        return new MatchRules(size, recentSessions, relaxTagsAfterMs, relaxRepeatAfterMs, relaxLanguageAfterMs,
                candidateLimit);
    }

    public MatchRules withRecentSessions(int sessions) {
        return new MatchRules(roomSize, sessions, relaxTagsAfterMs, relaxRepeatAfterMs, relaxLanguageAfterMs,
                candidateLimit);
    }

    public MatchRules withRelaxation(long tagsAfterMs, long repeatAfterMs, long languageAfterMs) {
        return new MatchRules(roomSize, recentSessions, tagsAfterMs, repeatAfterMs, languageAfterMs,
                candidateLimit);
    }

    /** The constraints dropped for someone who has waited {@code waitedMs}. */
    public Relaxation relaxationAfter(long waitedMs) {
        return new Relaxation(waitedMs >= relaxTagsAfterMs, waitedMs >= relaxRepeatAfterMs,
                waitedMs >= relaxLanguageAfterMs);
    }

    /** The constraints dropped for a group whose longest waiter arrived at {@code oldestArrival}. */
    public Relaxation relaxationFor(long oldestArrival, long now) {
        return relaxationAfter(Math.max(0, now - oldestArrival));
    }

    /**
     * Whether {@code a} and {@code b} may play together under {@code relaxation}: neither avoids the other; they
     * share a language (unless relaxed); they share a tag if either asked for it (unless relaxed); they were not
     * recent partners (unless relaxed).
     */
    public boolean compatible(WaitingPerformer a, WaitingPerformer b, Relaxation relaxation,
                              PartnerHistory history) {
        if (a.id().equals(b.id())) {
            return false;
        }
        Preferences pa = a.prefs();
        Preferences pb = b.prefs();
        if (pa.avoid().contains(b.id()) || pb.avoid().contains(a.id())) {
            return false;
        }
        if (!relaxation.language() && !overlaps(pa.languages(), pb.languages())) {
            return false;
        }
        if (!relaxation.tags() && (pa.wantsTagOverlap() || pb.wantsTagOverlap())
                && !overlaps(pa.tags(), pb.tags())) {
            return false;
        }
        return relaxation.repeats() || !history.recentlyPaired(a.id(), b.id());
    }

    static boolean overlaps(Set<String> x, Set<String> y) {
        Set<String> small = x.size() <= y.size() ? x : y;
        Set<String> large = small == x ? y : x;
        for (String s : small) {
            if (large.contains(s)) {
                return true;
            }
        }
        return false;
    }

    static int overlapCount(Set<String> x, Set<String> y) {
        Set<String> small = x.size() <= y.size() ? x : y;
        Set<String> large = small == x ? y : x;
        int n = 0;
        for (String s : small) {
            if (large.contains(s)) {
                n++;
            }
        }
        return n;
    }
}
