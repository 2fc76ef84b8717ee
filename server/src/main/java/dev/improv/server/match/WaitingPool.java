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

    /** Hears every change of the pool, on the owner thread, after the indexes are updated. */
    interface Listener {
        void added(WaitingPerformer p);

        void removed(WaitingPerformer p);
    }

    private static final Listener NONE = new Listener() {
        @Override
        public void added(WaitingPerformer p) {
        }

        @Override
        public void removed(WaitingPerformer p) {
        }
    };

    private final Map<String, WaitingPerformer> byId = new HashMap<>();
    private final NavigableSet<WaitingPerformer> all = new TreeSet<>(WaitingPerformer.BY_ARRIVAL);
    private final Map<String, NavigableSet<WaitingPerformer>> byLanguage = new HashMap<>();
    private final Map<String, NavigableSet<WaitingPerformer>> openByLanguage = new HashMap<>();
    private final Map<LangTag, NavigableSet<WaitingPerformer>> byLanguageTag = new HashMap<>();
    private final Map<LangTag, NavigableSet<WaitingPerformer>> strictByLanguageTag = new HashMap<>();
    private Listener listener = NONE;
    /** Counts adds and removes: equal versions mean the same performers in the same places. */
    private long version;

    /**
     * The one listener of this pool (an {@link IncrementalMatcher} tracking what changed); replaces an earlier
     * one. Use an empty pool, or the listener misses the performers already waiting.
     */
    void listen(Listener l) {
        this.listener = l == null ? NONE : l;
    }

    /** Changes so far; positions in {@link #inArrivalOrder} can only have moved if this moved. */
    long version() {
        return version;
    }

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
        version++;
        listener.added(p);
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
        version++;
        listener.removed(p);
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
