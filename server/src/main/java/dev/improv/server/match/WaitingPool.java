package dev.improv.server.match;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The waiting performers of one pool, indexed so that a decision only looks at candidates who can be compatible:
 * everyone in arrival order; by language; by language and tag. Performers who ask for a shared tag
 * ("strict") and those who do not ("open") are kept apart so a search for an open performer never walks over
 * strict ones it cannot take. Every set is ordered longest waiter first. Owned by the lobby thread.
 */
public final class WaitingPool {
    /** Key of a language-and-tag bucket. */
    record LangTag(String language, String tag) {
    }

    private final Map<String, WaitingPerformer> byId = new HashMap<>();
    private final NavigableSet<WaitingPerformer> all = new TreeSet<>(WaitingPerformer.BY_ARRIVAL);
    private final Map<String, NavigableSet<WaitingPerformer>> byLanguage = new HashMap<>();
    private final Map<String, NavigableSet<WaitingPerformer>> openByLanguage = new HashMap<>();
    private final Map<LangTag, NavigableSet<WaitingPerformer>> byLanguageTag = new HashMap<>();
    private final Map<LangTag, NavigableSet<WaitingPerformer>> strictByLanguageTag = new HashMap<>();

    /** Adds a performer; replaces an earlier entry with the same id. */
    public void add(WaitingPerformer p) {
        remove(p.id());
        byId.put(p.id(), p);
        all.add(p);
        Preferences prefs = p.prefs();
        for (String lang : prefs.languages()) {
            bucket(byLanguage, lang).add(p);
            if (!prefs.wantsTagOverlap()) {
                bucket(openByLanguage, lang).add(p);
            }
            for (String tag : prefs.tags()) {
                LangTag key = new LangTag(lang, tag);
                bucket(byLanguageTag, key).add(p);
                if (prefs.wantsTagOverlap()) {
                    bucket(strictByLanguageTag, key).add(p);
                }
            }
        }
    }

    /** Removes the performer with this id; returns it, or null if it was not waiting. */
    public WaitingPerformer remove(String id) {
        WaitingPerformer p = byId.remove(id);
        if (p == null) {
            return null;
        }
        all.remove(p);
        Preferences prefs = p.prefs();
        for (String lang : prefs.languages()) {
            unbucket(byLanguage, lang, p);
            unbucket(openByLanguage, lang, p);
            for (String tag : prefs.tags()) {
                LangTag key = new LangTag(lang, tag);
                unbucket(byLanguageTag, key, p);
                unbucket(strictByLanguageTag, key, p);
            }
        }
        return p;
    }

    public WaitingPerformer get(String id) {
        return byId.get(id);
    }

    public boolean contains(String id) {
        return byId.containsKey(id);
    }

    public int size() {
        return byId.size();
    }

    /** Everyone, longest waiter first. Read-only view. */
    public NavigableSet<WaitingPerformer> inArrivalOrder() {
        return Collections.unmodifiableNavigableSet(all);
    }

    NavigableSet<WaitingPerformer> byLanguage(String lang) {
        return byLanguage.getOrDefault(lang, Collections.emptyNavigableSet());
    }

    NavigableSet<WaitingPerformer> openByLanguage(String lang) {
        return openByLanguage.getOrDefault(lang, Collections.emptyNavigableSet());
    }

    NavigableSet<WaitingPerformer> byLanguageTag(String lang, String tag) {
        return byLanguageTag.getOrDefault(new LangTag(lang, tag), Collections.emptyNavigableSet());
    }

    NavigableSet<WaitingPerformer> strictByLanguageTag(String lang, String tag) {
        return strictByLanguageTag.getOrDefault(new LangTag(lang, tag), Collections.emptyNavigableSet());
    }

    private static <K> NavigableSet<WaitingPerformer> bucket(Map<K, NavigableSet<WaitingPerformer>> index, K key) {
        return index.computeIfAbsent(key, k -> new TreeSet<>(WaitingPerformer.BY_ARRIVAL));
    }

    private static <K> void unbucket(Map<K, NavigableSet<WaitingPerformer>> index, K key, WaitingPerformer p) {
        NavigableSet<WaitingPerformer> set = index.get(key);
        if (set != null && set.remove(p) && set.isEmpty()) {
            index.remove(key);
        }
    }
}
