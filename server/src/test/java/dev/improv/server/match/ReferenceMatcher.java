package dev.improv.server.match;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;

/**
 * The matcher as it was before matching became incremental (2026-12-01), kept verbatim as the reference the
 * equivalence tests compare {@link IncrementalMatcher} and {@link Lobby} with: a round re-tries every waiting
 * performer. Changing the matching rules on purpose means changing this copy too, in the same commit.
 */
final class ReferenceMatcher {
    private final MatchRules rules;

    ReferenceMatcher(MatchRules rules) {
        this.rules = rules;
    }

    public MatchRules rules() {
        return rules;
    }

    /** One round with no limit on the number of groups. See {@link #match(WaitingPool, PartnerHistory, long, int)}. */
    public List<MatchGroup> match(WaitingPool pool, PartnerHistory history, long now) {
        return match(pool, history, now, Integer.MAX_VALUE);
    }

    /**
     * Serves waiting performers longest waiter first until {@code maxGroups} groups are formed or everyone was
     * tried. Every member of a returned group is removed from {@code pool}; the rest stay, in their order.
     */
    public List<MatchGroup> match(WaitingPool pool, PartnerHistory history, long now, int maxGroups) {
        List<MatchGroup> groups = new ArrayList<>();
        NavigableSet<WaitingPerformer> order = pool.inArrivalOrder();
        if (order.isEmpty()) {
            return groups;
        }
        WaitingPerformer anchor = order.first();
        while (anchor != null && groups.size() < maxGroups && pool.size() >= rules.roomSize()) {
            MatchGroup group = decide(anchor, pool, history, now);
            if (group != null) {
                for (WaitingPerformer m : group.members()) {
                    pool.remove(m.id());
                }
                groups.add(group);
            }
            anchor = order.higher(anchor);
        }
        return groups;
    }

    /**
     * One decision: the best group around {@code anchor} among the performers in {@code pool}, under the rules in
     * force for the anchor's wait, or null if there is none. Does not change the pool.
     */
    public MatchGroup decide(WaitingPerformer anchor, WaitingPool pool, PartnerHistory history, long now) {
        MatchRules.Relaxation relaxation = rules.relaxationFor(anchor.arrivedAt(), now);
        List<Candidate> candidates = gather(anchor, pool, relaxation, history);
        if (candidates.size() < rules.roomSize() - 1) {
            return null;
        }
        candidates.sort(Candidate.BEST_FIRST);
        // Pairs: the best candidate. Larger rooms: greedy fill, retried with each candidate as the first partner
        // so that one unlucky first choice does not hide a group.
        for (int seed = 0; seed < candidates.size(); seed++) {
            List<WaitingPerformer> members = fill(anchor, candidates, seed, relaxation, history);
            if (members != null) {
                return new MatchGroup(members, relaxation);
            }
            if (rules.roomSize() == 2) {
                break;
            }
        }
        return null;
    }

    private List<WaitingPerformer> fill(WaitingPerformer anchor, List<Candidate> candidates, int seed,
                                        MatchRules.Relaxation relaxation, PartnerHistory history) {
        List<WaitingPerformer> members = new ArrayList<>(rules.roomSize());
        members.add(anchor);
        Set<String> common = relaxation.language() ? null : new HashSet<>(anchor.prefs().languages());
        for (int i = seed; i < candidates.size() + seed && members.size() < rules.roomSize(); i++) {
            WaitingPerformer c = candidates.get(i % candidates.size()).performer();
            if (fits(c, members, common, relaxation, history)) {
                members.add(c);
                if (common != null) {
                    common.retainAll(c.prefs().languages());
                }
            }
        }
        return members.size() == rules.roomSize() ? members : null;
    }

    private boolean fits(WaitingPerformer c, List<WaitingPerformer> members, Set<String> common,
                         MatchRules.Relaxation relaxation, PartnerHistory history) {
        if (common != null && !MatchRules.overlaps(common, c.prefs().languages())) {
            return false;
        }
        // The anchor (index 0) was checked when the candidate was gathered.
        for (int i = 1; i < members.size(); i++) {
            if (!rules.compatible(members.get(i), c, relaxation, history)) {
                return false;
            }
        }
        return true;
    }

    private List<Candidate> gather(WaitingPerformer anchor, WaitingPool pool, MatchRules.Relaxation relaxation,
                                   PartnerHistory history) {
        List<Candidate> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        seen.add(anchor.id());
        Preferences prefs = anchor.prefs();
        if (relaxation.language()) {
            scan(pool.inArrivalOrder(), anchor, relaxation, history, seen, out);
            return out;
        }
        for (String lang : prefs.languages()) {
            if (relaxation.tags()) {
                scan(pool.byLanguage(lang), anchor, relaxation, history, seen, out);
            } else if (prefs.wantsTagOverlap()) {
                for (String tag : prefs.tags()) {
                    scan(pool.byLanguageTag(lang, tag), anchor, relaxation, history, seen, out);
                }
            } else {
                scan(pool.openByLanguage(lang), anchor, relaxation, history, seen, out);
                for (String tag : prefs.tags()) {
                    scan(pool.strictByLanguageTag(lang, tag), anchor, relaxation, history, seen, out);
                }
            }
        }
        return out;
    }

    private void scan(Collection<WaitingPerformer> bucket, WaitingPerformer anchor,
                      MatchRules.Relaxation relaxation, PartnerHistory history, Set<String> seen,
                      List<Candidate> out) {
        int found = 0;
        for (WaitingPerformer c : bucket) {
            if (found == rules.candidateLimit()) {
                return;
            }
            if (!seen.add(c.id())) {
                continue;
            }
            if (rules.compatible(anchor, c, relaxation, history)) {
                out.add(Candidate.of(anchor, c, history));
                found++;
            }
        }
    }

    /** A compatible candidate with the keys it is ranked by. */
    private record Candidate(WaitingPerformer performer, boolean recentPartner, boolean sharesLanguage,
                             int sharedTags) {
        static final Comparator<Candidate> BEST_FIRST = Comparator
                .comparing(Candidate::recentPartner)
                .thenComparing(Candidate::sharesLanguage, Comparator.reverseOrder())
                .thenComparing(Candidate::sharedTags, Comparator.reverseOrder())
                .thenComparing(Candidate::performer, WaitingPerformer.BY_ARRIVAL);

        static Candidate of(WaitingPerformer anchor, WaitingPerformer c, PartnerHistory history) {
            Preferences a = anchor.prefs();
            Preferences p = c.prefs();
            return new Candidate(c, history.recentlyPaired(anchor.id(), c.id()),
                    MatchRules.overlaps(a.languages(), p.languages()), MatchRules.overlapCount(a.tags(), p.tags()));
        }
    }
}
