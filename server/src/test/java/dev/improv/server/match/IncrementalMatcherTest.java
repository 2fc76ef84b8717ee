package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link IncrementalMatcher} against {@link ReferenceMatcher} (a full round over everyone) on two pools fed the same
 * seeded random changes — arrivals, departures, performers put back with their old priority, confirmed groups in
 * the partner history, time passing thresholds, rounds cut short by a group limit — and that it really re-tries
 * only what changed.
 */
class IncrementalMatcherTest {
    private static final List<String> LANGS = List.of("en", "de", "fr", "es");
    private static final List<String> TAGS = List.of("drama", "comedy", "musical", "horror", "noir");

    @Test
    void roundsEqualTheFullRescanOverRandomSequences() {
        int groups = 0;
        for (int seed = 0; seed < 80; seed++) {
            groups += run(seed, 2 + (seed % 5 == 0 ? 1 + seed % 3 : 0));
        }
        assertTrue(groups > 500, "too few groups formed to say much: " + groups);
    }

    private static int run(long seed, int roomSize) {
        Random rnd = new Random(seed);
        long[] thresholds = {0, 2_000, 30_000, 90_000, MatchRules.NEVER};
        MatchRules rules = new MatchRules(roomSize, rnd.nextInt(3), thresholds[rnd.nextInt(5)],
                thresholds[rnd.nextInt(5)], rnd.nextBoolean() ? MatchRules.NEVER : thresholds[rnd.nextInt(5)],
                1 + rnd.nextInt(5));
        WaitingPool live = new WaitingPool();
        WaitingPool full = new WaitingPool();
        PartnerHistory liveHistory = new PartnerHistory(rules.recentSessions());
        PartnerHistory fullHistory = new PartnerHistory(rules.recentSessions());
        IncrementalMatcher incremental = new IncrementalMatcher(rules, live, liveHistory);
        ReferenceMatcher reference = new ReferenceMatcher(rules);
        List<WaitingPerformer> outside = new ArrayList<>(); // grouped, may be put back with their arrival time
        long now = 0;
        int next = 0;
        int formed = 0;
        for (int step = 0; step < 300; step++) {
            now += rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(20_000);
            int op = rnd.nextInt(10);
            String ctx = "seed " + seed + " step " + step + " " + rules;
            if (op < 4) {
                WaitingPerformer p = new WaitingPerformer("p" + next++, RandomPreferences.of(rnd, LANGS, TAGS, next, 4), now);
                live.add(p);
                full.add(p);
            } else if (op < 5 && !outside.isEmpty()) {
                WaitingPerformer back = outside.remove(rnd.nextInt(outside.size()));
                live.add(back);
                full.add(back);
            } else if (op < 6 && full.size() > 0) {
                List<WaitingPerformer> all = new ArrayList<>(full.inArrivalOrder());
                String id = all.get(rnd.nextInt(all.size())).id();
                live.remove(id);
                full.remove(id);
            } else {
                int max = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(2) : Integer.MAX_VALUE;
                List<MatchGroup> got = incremental.match(now, max);
                List<MatchGroup> want = reference.match(full, fullHistory, now, max);
                assertEquals(want, got, ctx);
                for (MatchGroup g : got) {
                    formed++;
                    if (rnd.nextBoolean()) {
                        liveHistory.record(g.pids());
                        fullHistory.record(g.pids());
                    } else {
                        outside.addAll(g.members());
                    }
                }
            }
            assertEquals(List.copyOf(full.inArrivalOrder()), List.copyOf(live.inArrivalOrder()), ctx);
        }
        return formed;
    }

    @Test
    void aCrowdedPoolIsNotRetriedWhenNothingChanged() {
        MatchRules rules = MatchRules.defaults().withRelaxation(60_000, MatchRules.NEVER, MatchRules.NEVER);
        WaitingPool pool = new WaitingPool();
        IncrementalMatcher m = new IncrementalMatcher(rules, pool, new PartnerHistory(3));
        for (int i = 0; i < 1_000; i++) {
            pool.add(new WaitingPerformer("s" + i, Preferences.of(Set.of("en"), Set.of("solo" + i), true), i));
        }
        assertEquals(1_000, m.pendingCount());
        assertEquals(List.of(), m.match(10_000, Integer.MAX_VALUE));
        assertEquals(0, m.pendingCount(), "everyone was tried and settled");
        assertEquals(List.of(), m.match(20_000, Integer.MAX_VALUE));

        // A newcomer wakes only the one settled performer it fits.
        pool.add(new WaitingPerformer("n", Preferences.of(Set.of("en"), Set.of("solo7"), true), 20_000));
        assertEquals(2, m.pendingCount());
        List<MatchGroup> groups = m.match(20_000, Integer.MAX_VALUE);
        assertEquals(List.of(List.of("s7", "n")), groups.stream().map(MatchGroup::pids).toList());
        assertEquals(0, m.pendingCount());

        // One minute after arriving, tags are relaxed: each performer is tried once more, at its threshold.
        assertEquals(List.of(), m.match(59_999, Integer.MAX_VALUE));
        assertEquals(1, m.match(60_001, Integer.MAX_VALUE).size(),
                "s0 waited a minute: its tags are relaxed and it takes s1");
    }

    @Test
    void inLargerRoomsADepartureWakesTheAnchorsItWasACandidateOf() {
        MatchRules rules = MatchRules.defaults().withRoomSize(3)
                .withRelaxation(MatchRules.NEVER, MatchRules.NEVER, MatchRules.NEVER);
        WaitingPool pool = new WaitingPool();
        IncrementalMatcher m = new IncrementalMatcher(rules, pool, new PartnerHistory(3));
        pool.add(new WaitingPerformer("a", Preferences.of(Set.of("en"), Set.of("x"), true), 1));
        pool.add(new WaitingPerformer("b", Preferences.of(Set.of("en"), Set.of("x"), true), 2));
        pool.add(new WaitingPerformer("c", Preferences.of(Set.of("de"), Set.of("y"), true), 3));
        assertEquals(List.of(), m.match(10, Integer.MAX_VALUE), "two who fit are not a room of three");
        assertEquals(0, m.pendingCount());
        pool.remove("b");
        assertEquals(1, m.pendingCount(), "a lost a candidate: tried again; c did not");
        pool.add(new WaitingPerformer("d", Preferences.of(Set.of("en"), Set.of("x"), true), 4));
        pool.add(new WaitingPerformer("e", Preferences.of(Set.of("en"), Set.of("x"), true), 5));
        assertEquals(List.of(List.of("a", "d", "e")),
                m.match(20, Integer.MAX_VALUE).stream().map(MatchGroup::pids).toList());
    }
}
