package dev.improv.server.dataset;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** What a performer can allow their recordings to be used for; the wire names are the export's permission names. */
public enum ConsentScope {
    /** Training machine-learning models on the recordings. */
    TRAINING("training"),
    /** Building a synthetic voice of the performer (voice cloning, TTS). */
    SYNTHETIC_VOICE("synthetic_voice"),
    /** Commercial use of the models or the material by the buyer. */
    COMMERCIAL_USE("commercial_use");

    private final String wireName;

    ConsentScope(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The scope named {@code name}; an unknown name is refused naming the known ones. */
    public static ConsentScope parse(String name) {
        for (ConsentScope s : values()) {
            if (s.wireName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown consent scope '" + name + "' (known: " + names() + ")");
    }

    public static Set<ConsentScope> parseAll(List<String> names) {
        Set<ConsentScope> out = new LinkedHashSet<>();
        for (String n : names) {
            out.add(parse(n));
        }
        return out;
    }

    public static String names() {
        return Arrays.stream(values()).map(ConsentScope::wireName).collect(Collectors.joining(", "));
    }
}
