package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random arrival sequences through a {@link Lobby}, checked against a model written from the rules, not from the
 * matcher: nobody is in two offers, every group was compatible when it was formed, and after each tick no two
 * waiting performers are left who could have been paired.
 */
class LobbyPropertyTest {
    private static final List<String> LANGS = List.of("en", "de", "fr", "es");
    private static final List<String> TAGS = List.of("drama", "comedy", "musical", "horror");
    private static final int RECENT = 2;

    private record Waiting(Preferences prefs, long arrivedAt) {
    }

    @Test
    void pairsOverManyRandomSequences() {
        for (int seed = 0; seed < 200; seed++) {
            run(seed, 2);
        }
    }

    @Test
    void roomsOfThreeOverRandomSequences() {
        for (int seed = 1_000; seed < 1_050; seed++) {
            run(seed, 3);
        }
    }

    private void run(long seed, int roomSize) {
        Random rnd = new Random(seed);
        long languageAfter = rnd.nextBoolean() ? MatchRules.NEVER : 300_000;
        MatchRules rules = new MatchRules(roomSize, RECENT, 60_000, 120_000, languageAfter, 1 + rnd.nextInt(8));
        Lobby lobby = new Lobby(LobbyConfig.of("p", 1, "consent").withRules(rules).withOfferTimeoutMs(20_000));
        Map<String, Waiting> waiting = new LinkedHashMap<>();
        Map<String, Waiting> known = new HashMap<>();
        Map<String, List<String>> offers = new LinkedHashMap<>();
        Map<String, ArrayDeque<Set<String>>> history = new HashMap<>();
        long now = 0;
        int next = 0;
        String ctx = "seed " + seed;

        for (int step = 0; step < 300; step++) {
            now += rnd.nextInt(3_000);
            int op = rnd.nextInt(100);
            List<LobbyEvent> events;
            if (op < 40) {
                String pid = "p" + next++;
                Preferences prefs = RandomPreferences.of(rnd, LANGS, TAGS, next, 5);
                events = lobby.join(pid, prefs, rnd.nextInt(20) == 0 ? 0 : 1, now);
                if (events.get(0) instanceof LobbyEvent.Queued) {
                    Waiting w = new Waiting(prefs, now);
                    waiting.put(pid, w);
                    known.put(pid, w);
                }
            } else if (op < 70) {
                now += rnd.nextInt(30_000);
                events = lobby.tick(now);
            } else if (op < 90 && !offers.isEmpty()) {
                List<String> ids = new ArrayList<>(offers.keySet());
                String offerId = ids.get(rnd.nextInt(ids.size()));
                List<String> pids = offers.get(offerId);
                events = lobby.accept(pids.get(rnd.nextInt(pids.size())), offerId, now);
            } else if (op < 95 && !offers.isEmpty()) {
                String offerId = offers.keySet().iterator().next();
                events = lobby.decline(offers.get(offerId).get(0), offerId, now);
            } else if (!waiting.isEmpty()) {
                List<String> pids = new ArrayList<>(waiting.keySet());
                String pid = pids.get(rnd.nextInt(pids.size()));
                events = lobby.leave(pid, now);
                waiting.remove(pid);
            } else {
                events = List.of();
            }

            for (LobbyEvent e : events) {
                if (e instanceof LobbyEvent.Offered o) {
                    assertFalse(offers.containsKey(o.offerId()), ctx);
                    assertEquals(roomSize, o.pids().size(), ctx);
                    for (String pid : o.pids()) {
                        assertTrue(waiting.remove(pid) != null, ctx + ": offered someone not waiting " + pid);
                        for (List<String> other : offers.values()) {
                            assertFalse(other.contains(pid), ctx + ": " + pid + " in two offers");
                        }
                    }
                    assertGroupCompatible(rules, o.pids(), known, history, now, ctx);
                    offers.put(o.offerId(), o.pids());
                } else if (e instanceof LobbyEvent.OfferExpired x) {
                    assertTrue(offers.remove(x.offerId()) != null, ctx);
                    for (String pid : x.requeuedPids()) {
                        waiting.put(pid, known.get(pid));
                    }
                } else if (e instanceof LobbyEvent.Confirmed c) {
                    assertEquals(c.pids(), offers.remove(c.offerId()), ctx);
                    assertEquals(c.pids(), c.consentRecords().stream().map(ConsentRecord::pid).toList(), ctx);
                    record(history, c.pids());
                }
            }
            assertEquals(waiting.size(), lobby.waitingCount(), ctx + " step " + step);

            if (op >= 40 && op < 70 && roomSize == 2) {
                List<String> pids = new ArrayList<>(waiting.keySet());
                for (int i = 0; i < pids.size(); i++) {
                    for (int j = i + 1; j < pids.size(); j++) {
                        if (compatible(rules, pids.get(i), pids.get(j), known, history, now)) {
                            fail(ctx + " step " + step + ": " + pids.get(i) + " and " + pids.get(j)
                                    + " are compatible but both still wait");
                        }
                    }
                }
            }
        }
    }

    /** The rules, restated: the group's longest waiter decides what is relaxed. */
    private static void assertGroupCompatible(MatchRules rules, List<String> pids, Map<String, Waiting> known,
                                              Map<String, ArrayDeque<Set<String>>> history, long now, String ctx) {
        long oldest = pids.stream().mapToLong(p -> known.get(p).arrivedAt()).min().orElseThrow();
        boolean anyLanguage = now - oldest >= rules.relaxLanguageAfterMs();
        if (!anyLanguage) {
            Set<String> common = new HashSet<>(known.get(pids.get(0)).prefs().languages());
            pids.forEach(p -> common.retainAll(known.get(p).prefs().languages()));
            assertFalse(common.isEmpty(), ctx + ": no common language in " + pids);
        }
        for (int i = 0; i < pids.size(); i++) {
            for (int j = i + 1; j < pids.size(); j++) {
                assertTrue(compatibleSince(rules, pids.get(i), pids.get(j), known, history, now, oldest),
                        ctx + ": incompatible group " + pids);
            }
        }
    }

    private static boolean compatible(MatchRules rules, String a, String b, Map<String, Waiting> known,
                                      Map<String, ArrayDeque<Set<String>>> history, long now) {
        long oldest = Math.min(known.get(a).arrivedAt(), known.get(b).arrivedAt());
        return compatibleSince(rules, a, b, known, history, now, oldest);
    }

    private static boolean compatibleSince(MatchRules rules, String a, String b, Map<String, Waiting> known,
                                           Map<String, ArrayDeque<Set<String>>> history, long now, long oldest) {
        long waited = now - oldest;
        Preferences pa = known.get(a).prefs();
        Preferences pb = known.get(b).prefs();
        if (pa.avoid().contains(b) || pb.avoid().contains(a)) {
            return false;
        }
        if (waited < rules.relaxLanguageAfterMs() && pa.languages().stream().noneMatch(pb.languages()::contains)) {
            return false;
        }
        if (waited < rules.relaxTagsAfterMs() && (pa.wantsTagOverlap() || pb.wantsTagOverlap())
                && pa.tags().stream().noneMatch(pb.tags()::contains)) {
            return false;
        }
        boolean recent = history.getOrDefault(a, new ArrayDeque<>()).stream().anyMatch(s -> s.contains(b))
                || history.getOrDefault(b, new ArrayDeque<>()).stream().anyMatch(s -> s.contains(a));
        return waited >= rules.relaxRepeatAfterMs() || !recent;
    }

    private static void record(Map<String, ArrayDeque<Set<String>>> history, List<String> pids) {
        for (String p : pids) {
            Set<String> partners = new HashSet<>(pids);
            partners.remove(p);
            ArrayDeque<Set<String>> mine = history.computeIfAbsent(p, k -> new ArrayDeque<>());
            mine.addLast(partners);
            if (mine.size() > RECENT) {
                mine.removeFirst();
            }
        }
    }
}
