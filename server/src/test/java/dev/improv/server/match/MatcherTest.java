package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MatcherTest {
    private static final long MIN = 60_000;
    private static final MatchRules RULES = MatchRules.defaults()
            .withRelaxation(5 * MIN, 10 * MIN, MatchRules.NEVER);

    private final WaitingPool pool = new WaitingPool();
    private final PartnerHistory history = new PartnerHistory(RULES.recentSessions());

    private static WaitingPerformer p(String id, long at, Set<String> langs, Set<String> tags, boolean strict) {
        return new WaitingPerformer(id, Preferences.of(langs, tags, strict), at);
    }

    private List<List<String>> run(MatchRules rules, long now) {
        return new Matcher(rules).match(pool, history, now).stream().map(MatchGroup::pids).toList();
    }

    @Test
    void pairsOnlyPerformersWhoShareALanguage() {
        pool.add(p("a", 0, Set.of("en"), Set.of(), false));
        pool.add(p("b", 1, Set.of("de"), Set.of(), false));
        pool.add(p("c", 2, Set.of("DE", "fr"), Set.of(), false));
        pool.add(p("d", 3, Set.of("fr", "en"), Set.of(), false));

        assertEquals(List.of(List.of("a", "d"), List.of("b", "c")), run(RULES, 10));
        assertEquals(0, pool.size());
    }

    @Test
    void tagOverlapIsRequiredWhenEitherSideAsksForIt() {
        pool.add(p("strict", 0, Set.of("en"), Set.of("drama"), true));
        pool.add(p("open-comedy", 1, Set.of("en"), Set.of("comedy"), false));
        pool.add(p("open-none", 2, Set.of("en"), Set.of(), false));
        pool.add(p("open-drama", 3, Set.of("en"), Set.of("drama", "comedy"), false));

        assertEquals(List.of(List.of("strict", "open-drama"), List.of("open-comedy", "open-none")), run(RULES, 10));
    }

    @Test
    void performerWithoutTagWishStillFindsAStrictPartnerWhoSharesATag() {
        pool.add(p("open", 0, Set.of("en"), Set.of("drama"), false));
        pool.add(p("strict", 1, Set.of("en"), Set.of("drama"), true));
        pool.add(p("plain", 2, Set.of("en"), Set.of(), false));

        assertEquals(List.of(List.of("open", "strict")), run(RULES, 10));
    }

    @Test
    void tagRequirementIsDroppedAfterTheThreshold() {
        pool.add(p("strict", 0, Set.of("en"), Set.of("drama"), true));
        pool.add(p("other", 1, Set.of("en"), Set.of("comedy"), false));

        assertEquals(List.of(), run(RULES, 5 * MIN - 1));
        assertEquals(List.of(List.of("strict", "other")), run(RULES, 5 * MIN));
    }

    @Test
    void longestWaiterIsServedFirstAndTakesTheLongestWaitingBestPartner() {
        pool.add(p("late", 30, Set.of("en"), Set.of(), false));
        pool.add(p("first", 10, Set.of("en"), Set.of(), false));
        pool.add(p("second", 20, Set.of("en"), Set.of(), false));

        assertEquals(List.of(List.of("first", "second")), run(RULES, 100));
        assertEquals(Set.of("late"), ids(pool));
    }

    @Test
    void bestPartnerSharesMostTagsThenWaitedLongest() {
        pool.add(p("anchor", 0, Set.of("en"), Set.of("drama", "comedy"), false));
        pool.add(p("one-tag", 1, Set.of("en"), Set.of("drama"), false));
        pool.add(p("two-tags-late", 3, Set.of("en"), Set.of("drama", "comedy"), false));
        pool.add(p("two-tags", 2, Set.of("en"), Set.of("comedy", "drama"), false));

        assertEquals(List.of(List.of("anchor", "two-tags"), List.of("one-tag", "two-tags-late")), run(RULES, 10));
    }

    @Test
    void recentPartnersAreNotPairedAgainUntilTheThresholdWhenNoOtherChoiceExists() {
        history.record(List.of("a", "b"));
        pool.add(p("a", 0, Set.of("en"), Set.of(), false));
        pool.add(p("b", 1, Set.of("en"), Set.of(), false));

        assertEquals(List.of(), run(RULES, 10 * MIN - 1));
        assertEquals(List.of(List.of("a", "b")), run(RULES, 10 * MIN));
    }

    @Test
    void recentPartnerIsRankedLastEvenWhenRepeatsAreAllowed() {
        history.record(List.of("a", "b"));
        pool.add(p("a", 0, Set.of("en"), Set.of("drama"), false));
        pool.add(p("b", 1, Set.of("en"), Set.of("drama"), false));
        pool.add(p("c", 2, Set.of("en"), Set.of(), false));

        assertEquals(List.of(List.of("a", "c")), run(RULES, 20 * MIN));
    }

    @Test
    void historyOnlyRemembersTheLastNSessions() {
        PartnerHistory two = new PartnerHistory(2);
        two.record(List.of("a", "b"));
        two.record(List.of("a", "c"));
        assertTrue(two.recentlyPaired("b", "a"));
        two.record(List.of("a", "d"));
        assertTrue(two.recentlyPaired("a", "b"), "b's last session was still with a");
        two.record(List.of("b", "e"));
        two.record(List.of("b", "f"));
        assertFalse(two.recentlyPaired("a", "b"));
        assertTrue(two.recentlyPaired("a", "c"));
    }

    @Test
    void explicitAvoidIsNeverRelaxed() {
        MatchRules relaxAll = RULES.withRelaxation(0, 0, 0);
        pool.add(new WaitingPerformer("a", Preferences.of(Set.of("en"), Set.of(), false).withAvoid(Set.of("b")), 0));
        pool.add(p("b", 1, Set.of("en"), Set.of(), false));

        assertEquals(List.of(), run(relaxAll, Long.MAX_VALUE / 2));
        // ...in either direction
        pool.add(new WaitingPerformer("c", Preferences.of(Set.of("en"), Set.of(), false).withAvoid(Set.of("a")), 2));
        assertEquals(List.of(List.of("b", "c")), run(relaxAll, Long.MAX_VALUE / 2));
    }

    @Test
    void languageIsRelaxedOnlyWhenConfigured() {
        pool.add(p("a", 0, Set.of("en"), Set.of(), false));
        pool.add(p("b", 1, Set.of("de"), Set.of(), false));
        assertEquals(List.of(), run(RULES, 1000 * MIN));
        assertEquals(List.of(List.of("a", "b")), run(RULES.withRelaxation(5 * MIN, 10 * MIN, 30 * MIN), 30 * MIN));
    }

    @Test
    void oddNumberLeavesTheNewestWaiting() {
        for (int i = 0; i < 5; i++) {
            pool.add(p("p" + i, i, Set.of("en"), Set.of(), false));
        }
        assertEquals(List.of(List.of("p0", "p1"), List.of("p2", "p3")), run(RULES, 10));
        assertEquals(Set.of("p4"), ids(pool));
    }

    @Test
    void roomsOfThreeNeedOneLanguageCommonToAll() {
        MatchRules three = RULES.withRoomSize(3);
        pool.add(p("a", 0, Set.of("en", "fr"), Set.of(), false));
        pool.add(p("b", 1, Set.of("en", "de"), Set.of(), false));
        pool.add(p("c", 2, Set.of("fr", "de"), Set.of(), false));
        assertEquals(List.of(), run(three, 10));

        pool.add(p("d", 3, Set.of("fr"), Set.of(), false));
        assertEquals(List.of(List.of("a", "c", "d")), run(three, 10));
        assertEquals(Set.of("b"), ids(pool));
    }

    @Test
    void roomsOfThreeCheckEveryPair() {
        MatchRules three = RULES.withRoomSize(3);
        pool.add(p("a", 0, Set.of("en"), Set.of("drama", "comedy"), false));
        pool.add(p("b", 1, Set.of("en"), Set.of("drama"), true));
        pool.add(p("c", 2, Set.of("en"), Set.of("comedy"), true));
        pool.add(p("d", 3, Set.of("en"), Set.of("drama"), false));
        assertEquals(List.of(List.of("a", "b", "d")), run(three, 10));
    }

    @Test
    void decideDoesNotChangeThePool() {
        pool.add(p("a", 0, Set.of("en"), Set.of(), false));
        pool.add(p("b", 1, Set.of("en"), Set.of(), false));
        MatchGroup g = new Matcher(RULES).decide(pool.get("a"), pool, history, 10);
        assertEquals(List.of("a", "b"), g.pids());
        assertEquals(2, pool.size());
        assertNull(new Matcher(RULES.withRoomSize(3)).decide(pool.get("a"), pool, history, 10));
    }

    @Test
    void maxGroupsLimitsARound() {
        for (int i = 0; i < 6; i++) {
            pool.add(p("p" + i, i, Set.of("en"), Set.of(), false));
        }
        assertEquals(1, new Matcher(RULES).match(pool, history, 10, 1).size());
        assertEquals(4, pool.size());
    }

    static Set<String> ids(WaitingPool pool) {
        return pool.inArrivalOrder().stream().map(WaitingPerformer::id)
                .collect(java.util.stream.Collectors.toSet());
    }
}
