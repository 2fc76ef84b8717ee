package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Compaction is exact: for random sequences of a pool's facts (joins with random preferences and the odd wrong
 * consent version, leaves, accepts, declines, moderators coming and going, ticks, rooms opened and closed, scenes,
 * presence) cut at a random point, folding every fact gives what restoring a snapshot of the prefix (written as
 * JSON and read back, as the log does) and folding the rest gives. Compared: the lobby's answers to every fact
 * after the cut, then a probe run on both (every performer asks for its place or offer, every offer is accepted,
 * moderators change, time passes so rules relax and new matches form, rooms close), the time totals and day lines of
 * every performer, who counts as recent partners, the rooms, names and performers seen, and the snapshots at the
 * end. The probe is what catches a field left out of the snapshot: a missing field is missing on both sides of a
 * snapshot comparison, but the lobby behaves differently without it.
 */
class PoolSnapshotPropertyTest {
    private static final List<String> LANGS = List.of("en", "de", "fr");
    private static final List<String> TAGS = List.of("drama", "comedy", "horror");
    /** Ten minutes before a UTC midnight: intervals and scenes cross it, so day lines split. */
    private static final long START = 1_764_633_600_000L - 600_000;

    @Test
    void restoringASnapshotOfAPrefixThenFoldingTheRestIsFoldingEverything() throws Exception {
        for (long seed = 0; seed < 100; seed++) {
            check(seed);
        }
    }

    @Test
    void aSnapshotThatContradictsItselfIsRefusedWhenReadNamingTheField() throws Exception {
        Generated g = generate(new Random(7), 150);
        PoolFold fold = new PoolFold(g.config, 2);
        g.facts.forEach(fold::apply);
        ObjectNode json = (ObjectNode) ProtocolCodec.mapper().valueToTree(fold.snapshot());
        ObjectNode lobby = (ObjectNode) json.path("lobby");
        lobby.putArray("unmoderated").add("no-such-offer");
        JsonMappingException e = assertThrows(JsonMappingException.class,
                () -> ProtocolCodec.mapper().treeToValue(json, LobbyFact.class));
        assertTrue(e.getMessage().contains("unmoderated"), e.getMessage());
    }

    private void check(long seed) throws Exception {
        Random rnd = new Random(seed);
        Generated g = generate(rnd, 60 + rnd.nextInt(200));
        int how = rnd.nextInt(10);
        int cut = how == 0 ? g.facts.size() // a snapshot of everything: a restart goes on from it alone
                : how < 5 ? rnd.nextInt(g.facts.size() + 1) : cutAfterSomeKind(rnd, g.facts);
        String ctx = "seed " + seed + ", cut after " + cut + " of " + g.facts.size() + " facts";

        PoolFold whole = new PoolFold(g.config, 2);
        List<List<LobbyEvent>> wholeEvents = new ArrayList<>();
        for (int i = 0; i < g.facts.size(); i++) {
            List<LobbyEvent> events = whole.apply(g.facts.get(i));
            if (i >= cut) {
                wholeEvents.add(events);
            }
        }

        PoolFold prefix = new PoolFold(g.config, 2);
        g.facts.subList(0, cut).forEach(prefix::apply);
        byte[] written = ProtocolCodec.mapper().writeValueAsBytes((LobbyFact) prefix.snapshot());
        LobbyFact read = ProtocolCodec.mapper().readValue(written, LobbyFact.class);
        PoolFold restored = new PoolFold(g.config, 2);
        restored.apply(read);
        List<List<LobbyEvent>> restoredEvents = new ArrayList<>();
        for (LobbyFact f : g.facts.subList(cut, g.facts.size())) {
            restoredEvents.add(restored.apply(f));
        }

        assertEquals(wholeEvents, restoredEvents, ctx + ": the lobby's answers after the cut");
        assertEquals(probe(whole, g), probe(restored, g), ctx + ": the probe");
        assertEquals(whole.snapshot(), restored.snapshot(), ctx + ": the state at the end");
    }

    /**
     * Right after a fact of a kind picked at random (then one of that kind at random): rare kinds leave the states
     * that are short-lived (an offer half accepted, a scene running) at the cut as often as common ones.
     */
    private static int cutAfterSomeKind(Random rnd, List<LobbyFact> facts) {
        java.util.Map<Class<?>, List<Integer>> byKind = new java.util.LinkedHashMap<>();
        for (int i = 0; i < facts.size(); i++) {
            byKind.computeIfAbsent(facts.get(i).getClass(), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> kinds = new ArrayList<>(byKind.values());
        List<Integer> kind = kinds.get(rnd.nextInt(kinds.size()));
        return kind.get(rnd.nextInt(kind.size())) + 1;
    }

    /** What a pool shows, after driving it on: the same inputs on both sides, every answer collected. */
    private static List<Object> probe(PoolFold fold, Generated g) {
        List<Object> seen = new ArrayList<>();
        seen.add(fold.lastFactAt());
        fold.lobby().resumeAfterDowntime(g.end + 5_000 - fold.lastFactAt()); // what a restart does with it
        long t = g.end + g.config.offerTimeoutMs();
        seen.add(fold.apply(new LobbyFact.Ticked(t))); // every open offer ends: who had accepted waits again
        List<String> offers = new ArrayList<>();
        for (String pid : g.performers) {
            List<LobbyEvent> answer = fold.apply(new LobbyFact.Joined(pid, Set.of("en"), Set.of(), false, Set.of(),
                    1, ++t));
            seen.add(answer);
            for (LobbyEvent e : answer) {
                if (e instanceof LobbyEvent.Offered o && !offers.contains(o.offerId())) {
                    offers.add(o.offerId());
                }
            }
        }
        seen.add(fold.apply(new LobbyFact.Ticked(t += 1_000)));
        for (Object answer : List.copyOf(seen)) {
            for (LobbyEvent e : events(answer)) {
                if (e instanceof LobbyEvent.Offered o && !offers.contains(o.offerId())) {
                    offers.add(o.offerId());
                }
            }
        }
        for (String offerId : offers) {
            for (String pid : g.performers) {
                seen.add(fold.apply(new LobbyFact.Accepted(pid, offerId, t)));
            }
        }
        for (String mid : g.moderators) {
            seen.add(fold.apply(new LobbyFact.ModeratorGone(mid, ++t)));
        }
        seen.add(fold.apply(new LobbyFact.ModeratorAvailable("probe-mod", 50)));
        for (long later : new long[] {5_000, 70_000, 130_000, 400_000}) {
            seen.add(fold.apply(new LobbyFact.Ticked(t + later)));
        }
        t += 400_000;
        for (var room : g.roomPids.entrySet()) { // performers come back, the scenes running there end
            for (String pid : room.getValue()) {
                seen.add(fold.apply(new LobbyFact.PerformerPresent(room.getKey(), pid, ++t)));
            }
            seen.add(fold.apply(new LobbyFact.SceneEnded(room.getKey(), t += 1_000)));
        }
        for (String offerId : g.offerIds) {
            seen.add(fold.apply(new LobbyFact.RoomClosed(offerId, "room-" + offerId)));
        }
        seen.add(fold.apply(new LobbyFact.Ticked(t += 1_000)));
        for (String pid : g.performers) {
            seen.add(fold.lobby().timeAccounting().snapshot(pid, t + 86_400_000L));
            seen.add(fold.lobby().timeAccounting().days(pid, t + 86_400_000L));
            for (String other : g.performers) {
                seen.add(fold.lobby().partnerHistory().recentlyPaired(pid, other));
            }
            seen.add(fold.name(pid));
        }
        seen.add(List.copyOf(fold.performersSeen()));
        seen.add(List.copyOf(fold.matchedRooms()));
        seen.add(fold.lastFactAt());
        return seen;
    }

    @SuppressWarnings("unchecked")
    private static List<LobbyEvent> events(Object answer) {
        return answer instanceof List<?> l && (l.isEmpty() || l.get(0) instanceof LobbyEvent)
                ? (List<LobbyEvent>) l : List.of();
    }

    /** A pool's facts as a live hub writes them, made by driving a fold with random inputs. */
    private static final class Generated {
        LobbyConfig config;
        final List<LobbyFact> facts = new ArrayList<>();
        final Set<String> performers = new TreeSet<>();
        final Set<String> moderators = new TreeSet<>();
        final Set<String> offerIds = new LinkedHashSet<>();
        /** Every room opened, by room id, with its performers. */
        final java.util.Map<String, List<String>> roomPids = new java.util.LinkedHashMap<>();
        long end;
    }

    private static Generated generate(Random rnd, int steps) {
        Generated g = new Generated();
        MatchRules rules = new MatchRules(2 + rnd.nextInt(2), rnd.nextInt(4), 60_000, 120_000,
                rnd.nextBoolean() ? MatchRules.NEVER : 300_000, 1 + rnd.nextInt(8));
        g.config = new LobbyConfig("pool", 1, "consent", rules, 20_000, rnd.nextInt(3) == 0, rnd.nextInt(3) * 2_500L);
        PoolFold live = new PoolFold(g.config, 2);
        List<String> openRooms = new ArrayList<>();
        List<String> runningScenes = new ArrayList<>();
        long now = START;
        int next = 0;
        for (int step = 0; step < steps; step++) {
            now += rnd.nextInt(15_000);
            int op = rnd.nextInt(100);
            PoolSnapshot.LobbyState state = op >= 25 && op < 50 ? live.lobby().snapshot() : null;
            List<LobbyFact> facts = new ArrayList<>();
            if (op < 25) {
                String pid = next > 0 && rnd.nextInt(6) == 0 ? "p" + rnd.nextInt(next) : "p" + next++;
                if (g.performers.add(pid)) {
                    facts.add(new LobbyFact.Connected(pid, "name of " + pid, Role.PERFORMER));
                }
                Preferences prefs = RandomPreferences.of(rnd, LANGS, TAGS, next, 6);
                facts.add(new LobbyFact.Joined(pid, prefs.languages(), prefs.tags(), prefs.wantsTagOverlap(),
                        prefs.avoid(), rnd.nextInt(15) == 0 ? 0 : 1, now));
            } else if (op < 30 && !state.members().isEmpty()) {
                facts.add(new LobbyFact.Left(pick(rnd, state.members()).pid(), now));
            } else if (op < 50 && !state.offers().isEmpty()) {
                PoolSnapshot.Offer offer = pick(rnd, state.offers());
                String pid = pick(rnd, offer.pids());
                facts.add(rnd.nextInt(8) == 0 ? new LobbyFact.Declined(pid, offer.id(), now)
                        : new LobbyFact.Accepted(pid, offer.id(), now));
            } else if (op < 55) {
                String mid = "m" + rnd.nextInt(3);
                if (g.moderators.add(mid)) {
                    facts.add(new LobbyFact.Connected(mid, "moderator " + mid, Role.MODERATOR));
                }
                facts.add(rnd.nextInt(3) == 0 ? new LobbyFact.ModeratorGone(mid, now)
                        : new LobbyFact.ModeratorAvailable(mid, rnd.nextInt(4)));
            } else if (op < 62 && !openRooms.isEmpty()) {
                String offerId = openRooms.remove(rnd.nextInt(openRooms.size()));
                runningScenes.remove("room-" + offerId);
                facts.add(new LobbyFact.RoomClosed(offerId, "room-" + offerId));
            } else if (op < 75 && !openRooms.isEmpty()) {
                String roomId = "room-" + pick(rnd, openRooms);
                List<String> pids = live.matchedRoom(roomId.substring(5)).performers();
                int kind = rnd.nextInt(4);
                if (kind == 0) {
                    runningScenes.add(roomId);
                    facts.add(new LobbyFact.SceneStarted(roomId, pids.subList(0, rnd.nextInt(pids.size() + 1)), now));
                } else if (kind == 1) {
                    runningScenes.remove(roomId);
                    facts.add(new LobbyFact.SceneEnded(roomId, now));
                } else if (kind == 2) {
                    facts.add(new LobbyFact.PerformerPresent(roomId, pick(rnd, pids), now));
                } else {
                    facts.add(new LobbyFact.PerformerAbsent(roomId, pick(rnd, pids), now));
                }
            } else {
                now += rnd.nextInt(40_000);
                facts.add(new LobbyFact.Ticked(now));
            }
            for (LobbyFact fact : facts) {
                List<LobbyEvent> events = live.apply(fact);
                if (fact instanceof LobbyFact.Ticked && events.isEmpty()) {
                    continue; // the hub writes only ticks that changed something
                }
                g.facts.add(fact);
                for (LobbyEvent e : events) {
                    if (e instanceof LobbyEvent.Offered o) {
                        g.offerIds.add(o.offerId());
                    } else if (e instanceof LobbyEvent.Confirmed c) { // the hub opens its room
                        LobbyFact opened = new LobbyFact.RoomOpened(c.offerId(), "room-" + c.offerId(), c.pids(),
                                c.moderatorId());
                        live.apply(opened);
                        g.facts.add(opened);
                        openRooms.add(c.offerId());
                        g.roomPids.put("room-" + c.offerId(), c.pids());
                    }
                }
            }
        }
        g.end = now;
        return g;
    }

    private static <T> T pick(Random rnd, List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }
}
