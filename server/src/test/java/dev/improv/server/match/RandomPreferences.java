package dev.improv.server.match;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Seeded random preferences for the lobby's and matcher's property tests. */
final class RandomPreferences {
    private RandomPreferences() {
    }

    /**
     * One or two of {@code langs}, zero to two of {@code tags}, one time in {@code avoidOneIn} an avoid of one of the
     * ids p0 .. p(next-2), and a coin for wanting a shared tag.
     */
    static Preferences of(Random rnd, List<String> langs, List<String> tags, int next, int avoidOneIn) {
        Set<String> languages = new HashSet<>();
        languages.add(langs.get(rnd.nextInt(langs.size())));
        if (rnd.nextInt(4) == 0) {
            languages.add(langs.get(rnd.nextInt(langs.size())));
        }
        Set<String> chosen = new HashSet<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
            chosen.add(tags.get(rnd.nextInt(tags.size())));
        }
        Set<String> avoid = new HashSet<>();
        if (next > 1 && rnd.nextInt(avoidOneIn) == 0) {
            avoid.add("p" + rnd.nextInt(next - 1));
        }
        return new Preferences(languages, chosen, rnd.nextBoolean(), avoid);
    }
}
