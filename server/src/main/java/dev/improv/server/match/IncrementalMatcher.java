package dev.improv.server.match;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The {@link Matcher}'s rounds over one {@link WaitingPool}, re-trying only the waiting performers whose decision
 * can have changed since they were last tried, with the same groups in the same order as a round that re-tries
 * everyone ({@link Matcher#match}).
 *
 * <p>Why that is the same: a round serves anchors longest waiter first, and an anchor whose decision is "no
 * group" changes nothing. An anchor tried without a group is <em>settled</em>; its decision depends only on its
 * relaxation (a function of its wait) and on which compatible performers wait. So it is tried again (woken) when
 * <ul>
 *   <li>its wait crosses one of the rules' thresholds (tags, repeats, language), known in advance;</li>
 *   <li>a performer who is compatible with it under the relaxation it was tried with joins the pool (an arrival,
 *   or someone put back after an offer ended) — found through an index of settled anchors keyed like the pool's,
 *   so an arrival looks only at settled anchors that share its language (and tag, where one is needed);</li>
 *   <li>for rooms of three or more only: a compatible performer leaves the pool, because each index bucket ranks
 *   only the first {@link MatchRules#candidateLimit()} compatible candidates and the greedy fill can then find
 *   another group. For pairs "no group" means no compatible performer waits at all, and a departure cannot add one.</li>
 * </ul>
 * Compatibility only ever grows with the relaxation, so testing a newcomer with the relaxation the anchor was
 * settled under misses nothing: if the anchor has relaxed further since, its threshold wakes it anyway.
 * {@link PartnerHistory} changes only for performers who are not waiting (a confirmed group), so it never turns a
 * settled anchor's decision around. An anchor woken during a round that the round has already passed is tried in
 * the next round, as the full round would.
 *
 * <p>Cost of a round: the thresholds due, plus one decision per woken anchor, instead of one per waiting performer.
 * Owned by the lobby thread, like the pool.
 */
public final class IncrementalMatcher implements WaitingPool.Listener {
    /** A settled anchor: tried under {@code relaxation} without a group; to be woken at {@code relaxesAt}. */
    private record Settled(WaitingPerformer performer, MatchRules.Relaxation relaxation, long relaxesAt) {
    }

    private static final Comparator<Settled> BY_RELAXES_AT = Comparator.comparingLong(Settled::relaxesAt)
            .thenComparing(Settled::performer, WaitingPerformer.BY_ARRIVAL);

    private final Matcher matcher;
    private final MatchRules rules;
    private final WaitingPool pool;
    private final PartnerHistory history;
    /** Waiting performers to try in the next round, longest waiter first. With the settled ones: the pool. */
    private final NavigableSet<WaitingPerformer> dirty = new TreeSet<>(WaitingPerformer.BY_ARRIVAL);
    private final Map<String, Settled> settled = new HashMap<>();
    /** Settled under neither tags nor language relaxed: indexed like the pool, for lookups by language and tag. */
    private final WaitingPool settledStrict = new WaitingPool();
    /** Settled with tags relaxed but not language: looked up by language. */
    private final WaitingPool settledAnyTag = new WaitingPool();
    /** Settled with language relaxed: every newcomer may fit them. */
    private final NavigableSet<WaitingPerformer> settledAnyLanguage = new TreeSet<>(WaitingPerformer.BY_ARRIVAL);
    /** Settled anchors with a threshold still ahead, soonest first. */
    private final NavigableSet<Settled> relaxing = new TreeSet<>(BY_RELAXES_AT);

    /** Tracks {@code pool} from now on (everyone already waiting is tried in the first round). */
    public IncrementalMatcher(MatchRules rules, WaitingPool pool, PartnerHistory history) {
        this.matcher = new Matcher(rules);
        this.rules = rules;
        this.pool = pool;
        this.history = history;
        dirty.addAll(pool.inArrivalOrder());
        pool.listen(this);
    }

    /**
     * One round, as {@link Matcher#match(WaitingPool, PartnerHistory, long, int)} over the whole pool would form
     * it: longest waiter first, until {@code maxGroups} groups are formed or every anchor that can have a group
     * was tried. Every member of a returned group is removed from the pool.
     */
    public List<MatchGroup> match(long now, int maxGroups) {
        wakeRelaxed(now);
        List<MatchGroup> groups = new ArrayList<>();
        WaitingPerformer anchor = dirty.isEmpty() ? null : dirty.first();
        while (anchor != null && groups.size() < maxGroups && pool.size() >= rules.roomSize()) {
            MatchGroup group = matcher.decide(anchor, pool, history, now);
            if (group != null) {
                for (WaitingPerformer m : group.members()) {
                    pool.remove(m.id());
                }
                groups.add(group);
            } else {
                settle(anchor, now);
            }
            anchor = dirty.higher(anchor);
        }
        return groups;
    }

    /** Waiting performers the next round will try (besides those whose threshold comes due), for tests and metrics. */
    int pendingCount() {
        return dirty.size();
    }

    @Override
    public void added(WaitingPerformer p) {
        dirty.add(p);
        wakeCompatibleWith(p);
    }

    @Override
    public void removed(WaitingPerformer p) {
        if (!dirty.remove(p)) {
            unsettle(p.id());
        }
        if (rules.roomSize() > 2) {
            wakeCompatibleWith(p);
        }
    }

    private void settle(WaitingPerformer anchor, long now) {
        dirty.remove(anchor);
        MatchRules.Relaxation relaxation = rules.relaxationFor(anchor.arrivedAt(), now);
        Settled s = new Settled(anchor, relaxation, nextRelaxation(anchor, now));
        settled.put(anchor.id(), s);
        if (relaxation.language()) {
            settledAnyLanguage.add(anchor);
        } else if (relaxation.tags()) {
            settledAnyTag.add(anchor);
        } else {
            settledStrict.add(anchor);
        }
        if (s.relaxesAt != Long.MAX_VALUE) {
            relaxing.add(s);
        }
    }

    private Settled unsettle(String id) {
        Settled s = settled.remove(id);
        if (s == null) {
            return null;
        }
        if (s.relaxation.language()) {
            settledAnyLanguage.remove(s.performer);
        } else if (s.relaxation.tags()) {
            settledAnyTag.remove(id);
        } else {
            settledStrict.remove(id);
        }
        relaxing.remove(s);
        return s;
    }

    private void wake(String id) {
        Settled s = unsettle(id);
        if (s != null) {
            dirty.add(s.performer);
        }
    }

    private void wakeRelaxed(long now) {
        while (!relaxing.isEmpty() && relaxing.first().relaxesAt <= now) {
            wake(relaxing.first().performer.id());
        }
    }

    /** Wakes every settled anchor that {@code p} could now be a partner of (or could have been, for a departure). */
    private void wakeCompatibleWith(WaitingPerformer p) {
        if (settled.isEmpty()) {
            return;
        }
        List<WaitingPerformer> found = new ArrayList<>();
        Preferences prefs = p.prefs();
        collect(settledAnyLanguage, p, found);
        for (String lang : prefs.languages()) {
            collect(settledAnyTag.byLanguage(lang), p, found);
            if (prefs.wantsTagOverlap()) {
                for (String tag : prefs.tags()) {
                    collect(settledStrict.byLanguageTag(lang, tag), p, found);
                }
            } else {
                collect(settledStrict.openByLanguage(lang), p, found);
                for (String tag : prefs.tags()) {
                    collect(settledStrict.strictByLanguageTag(lang, tag), p, found);
                }
            }
        }
        for (WaitingPerformer a : found) {
            wake(a.id());
        }
    }

    private void collect(Collection<WaitingPerformer> bucket, WaitingPerformer p, List<WaitingPerformer> out) {
        for (WaitingPerformer a : bucket) {
            Settled s = settled.get(a.id());
            if (s != null && rules.compatible(a, p, s.relaxation, history)) {
                out.add(a);
            }
        }
    }

    /** When the next threshold of {@code p}'s wait after {@code now} is crossed, or Long.MAX_VALUE if none is left. */
    private long nextRelaxation(WaitingPerformer p, long now) {
        long waited = p.waitedMs(now);
        long next = Long.MAX_VALUE;
        for (long threshold : new long[] {rules.relaxTagsAfterMs(), rules.relaxRepeatAfterMs(),
                rules.relaxLanguageAfterMs()}) {
            if (threshold != MatchRules.NEVER && threshold > waited) {
                long at = p.arrivedAt() + threshold;
                if (at < p.arrivedAt()) { // overflow: as good as never
                    at = Long.MAX_VALUE;
                }
                next = Math.min(next, at);
            }
        }
        return next;
    }
}
