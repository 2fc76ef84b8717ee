package dev.improv.server.match;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a performer asks of a match. Languages and tags are trimmed and lower-cased so "EN" and "en" meet.
 *
 * @param languages        languages the performer can play in; at least one
 * @param tags             genres such as "drama" or "comedy"; may be empty
 * @param wantsTagOverlap  true if the performer wants partners who share at least one tag
 * @param avoid            performer ids never to be grouped with; never relaxed
 */
public record Preferences(Set<String> languages, Set<String> tags, boolean wantsTagOverlap, Set<String> avoid) {
    public Preferences {
        languages = normalized(languages);
        tags = normalized(tags);
        avoid = avoid == null ? Set.of() : Set.copyOf(avoid);
        if (languages.isEmpty()) {
            throw new IllegalArgumentException("at least one language is required");
        }
    }

    public static Preferences of(Set<String> languages, Set<String> tags, boolean wantsTagOverlap) {
        return new Preferences(languages, tags, wantsTagOverlap, Set.of());
    }

    public Preferences withAvoid(Set<String> ids) {
        return new Preferences(languages, tags, wantsTagOverlap, ids);
    }

    private static Set<String> normalized(Set<String> values) {
        if (values == null) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                out.add(v.trim().toLowerCase(Locale.ROOT));
            }
        }
        return Set.copyOf(out);
    }
}
