package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The lobby with incremental matching and the position-pass shortcut against {@link ReferenceLobby} (the lobby as it
 * was, re-trying everyone every tick): seeded random sequences of joins, re-joins, leaves, ticks, accepts, declines
 * and moderators, fed to both; every call must return the same events in the same order. Rules, room sizes,
 * candidate limits and estimate steps vary by seed, so relaxation thresholds, per-bucket caps, requeues with their
 * old priority, arrivals in the same millisecond and repeat partners all occur.
 */
class LobbyEquivalenceTest {
    private static final List<String> LANGS = List.of("en", "de", "fr", "es", "it");
    private static final List<String> TAGS = List.of("drama", "comedy", "musical", "horror", "noir", "clown");

    @Test
    void pairsGiveTheSameEventsAsTheFullRescan() {
        int offers = 0;
        for (int seed = 0; seed < 150; seed++) {
            offers += run(seed, 2, 400);
        }
        assertTrue(offers > 1_000, "the sequences formed too few groups to say much: " + offers);
    }

    @Test
    void largerRoomsGiveTheSameEventsAsTheFullRescan() {
        for (int seed = 5_000; seed < 5_060; seed++) {
            run(seed, 3 + seed % 2, 400);
        }
    }

    @Test
    void crowdedLobbiesWithFewMatchesGiveTheSameEvents() {
        // Many waiting, strict tags, few languages shared: most anchors stay settled for many ticks.
        for (int seed = 9_000; seed < 9_004; seed++) {
            run(seed, 2, 3_000);
        }
    }

    /** Runs one sequence; returns how many offers were made. */
    private static int run(long seed, int roomSize, int steps) {
        Random rnd = new Random(seed);
        long[] thresholds = {0, 5_000, 60_000, 120_000, 300_000, MatchRules.NEVER};
        long tags = thresholds[rnd.nextInt(thresholds.length)];
        long repeats = thresholds[rnd.nextInt(thresholds.length)];
        long language = rnd.nextInt(3) == 0 ? thresholds[rnd.nextInt(thresholds.length)] : MatchRules.NEVER;
        MatchRules rules = new MatchRules(roomSize, rnd.nextInt(4), tags, repeats, language, 1 + rnd.nextInt(6));
        long[] steps0 = {0, 1, 1_000, 5_000, 60_000};
        LobbyConfig config = new LobbyConfig("pool", 1, "consent", rules, 1_000 + rnd.nextInt(40_000),
                rnd.nextInt(4) == 0, steps0[rnd.nextInt(steps0.length)]);
        Lobby lobby = new Lobby(config);
        ReferenceLobby ref = new ReferenceLobby(config);
        String ctx = "seed " + seed + " " + rules + " estimateStepMs " + config.estimateStepMs();
        boolean crowded = steps > 1_000;

        Map<String, List<String>> offers = new LinkedHashMap<>();
        List<String> confirmed = new ArrayList<>();
        Set<String> present = new HashSet<>();
        long now = 1_000_000;
        int next = 0;
        int offered = 0;
        for (int step = 0; step < steps; step++) {
            now += switch (rnd.nextInt(4)) {
                case 0 -> 0; // same millisecond: arrival order falls back to the ids
                case 1 -> rnd.nextInt(300);
                case 2 -> rnd.nextInt(5_000);
                default -> rnd.nextInt(70_000);
            };
            long t = now;
            int op = rnd.nextInt(100);
            String at = ctx + " step " + step + " op " + op;
            List<LobbyEvent> mine;
            List<LobbyEvent> theirs;
            if (op < (crowded ? 45 : 35)) {
                String pid;
                if (!confirmed.isEmpty() && rnd.nextInt(6) == 0) {
                    pid = confirmed.remove(rnd.nextInt(confirmed.size())); // comes back: a repeat partner
                } else if (!present.isEmpty() && rnd.nextInt(8) == 0) {
                    pid = pick(rnd, present); // joins again while waiting or holding an offer
                } else {
                    pid = "p" + next++;
                }
                Preferences prefs = prefs(rnd, next, crowded);
                int consent = rnd.nextInt(25) == 0 ? 2 : 1;
                mine = lobby.join(pid, prefs, consent, t);
                theirs = ref.join(pid, prefs, consent, t);
                if (consent == 1) {
                    present.add(pid);
                }
            } else if (op < 70) {
                mine = lobby.tick(t);
                theirs = ref.tick(t);
            } else if (op < 82 && !offers.isEmpty()) {
                String offerId = pick(rnd, offers.keySet());
                List<String> pids = offers.get(offerId);
                String pid = rnd.nextInt(10) == 0 ? "stranger" : pids.get(rnd.nextInt(pids.size()));
                mine = lobby.accept(pid, offerId, t);
                theirs = ref.accept(pid, offerId, t);
            } else if (op < 86 && !offers.isEmpty()) {
                String offerId = pick(rnd, offers.keySet());
                String pid = offers.get(offerId).get(0);
                mine = lobby.decline(pid, offerId, t);
                theirs = ref.decline(pid, offerId, t);
            } else if (op < 93 && !present.isEmpty()) {
                String pid = pick(rnd, present);
                mine = lobby.leave(pid, t);
                theirs = ref.leave(pid, t);
            } else if (op < 97) {
                String mid = "m" + rnd.nextInt(3);
                int capacity = rnd.nextInt(4);
                mine = lobby.moderatorAvailable(mid, capacity);
                theirs = ref.moderatorAvailable(mid, capacity);
            } else {
                String mid = "m" + rnd.nextInt(3);
                mine = lobby.moderatorGone(mid, t);
                theirs = ref.moderatorGone(mid, t);
            }
            assertEquals(theirs, mine, at);
            for (LobbyEvent e : mine) {
                if (e instanceof LobbyEvent.Offered o) {
                    offers.put(o.offerId(), o.pids());
                    offered++;
                } else if (e instanceof LobbyEvent.OfferExpired x) {
                    offers.remove(x.offerId());
                    present.removeAll(x.droppedPids());
                } else if (e instanceof LobbyEvent.Confirmed c) {
                    offers.remove(c.offerId());
                    present.removeAll(c.pids());
                    confirmed.addAll(c.pids());
                    if (rnd.nextBoolean()) {
                        lobby.roomClosed(c.offerId());
                        ref.roomClosed(c.offerId());
                    }
                } else if (e instanceof LobbyEvent.Left l) {
                    present.remove(l.pid());
                }
            }
            assertEquals(ref.waitingCount(), lobby.waitingCount(), at);
            assertEquals(ref.pendingOfferCount(), lobby.pendingOfferCount(), at);
        }
        return offered;
    }

    private static String pick(Random rnd, java.util.Collection<String> from) {
        List<String> all = new ArrayList<>(from);
        all.sort(null); // a set's order must not decide what the sequence does
        return all.get(rnd.nextInt(all.size()));
    }

    private static Preferences prefs(Random rnd, int next, boolean crowded) {
        Preferences p = RandomPreferences.of(rnd, LANGS, TAGS, next, 5);
        if (!crowded) {
            return p;
        }
        // A rare tag of one's own, and mostly strict: performers rarely fit each other.
        boolean strict = rnd.nextInt(10) != 0;
        Set<String> tags = new HashSet<>(strict ? Set.of() : p.tags());
        tags.add("solo" + rnd.nextInt(400));
        return new Preferences(p.languages(), tags, strict, p.avoid());
    }
}
