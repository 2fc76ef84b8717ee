package dev.improv.server.match;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who played with whom in each performer's last N confirmed sessions. Owned by the lobby thread.
 */
public final class PartnerHistory {
    private final int sessions;
    private final Map<String, ArrayDeque<Set<String>>> recent = new HashMap<>();

    /** @param sessions how many of each performer's sessions to remember; 0 remembers nothing */
    public PartnerHistory(int sessions) {
        if (sessions < 0) {
            throw new IllegalArgumentException("sessions must not be negative");
        }
        this.sessions = sessions;
    }

    /** Records one confirmed session of {@code pids} together. */
    public void record(List<String> pids) {
        if (sessions == 0) {
            return;
        }
        for (String pid : pids) {
            Set<String> partners = new HashSet<>(pids);
            partners.remove(pid);
            ArrayDeque<Set<String>> mine = recent.computeIfAbsent(pid, k -> new ArrayDeque<>(sessions + 1));
            mine.addLast(Set.copyOf(partners));
            while (mine.size() > sessions) {
                mine.removeFirst();
            }
        }
    }

    /** Each performer's remembered sessions, oldest first, by performer id (for a {@link PoolSnapshot}). */
    Map<String, List<Set<String>>> sessions() {
        Map<String, List<Set<String>>> out = new java.util.TreeMap<>();
        recent.forEach((pid, mine) -> out.put(pid, List.copyOf(mine)));
        return out;
    }

    /** Starts over with these sessions (from {@link #sessions}); each performer keeps at most its last N. */
    void restore(Map<String, List<Set<String>>> sessionsByPid) {
        recent.clear();
        if (sessions == 0) {
            return;
        }
        sessionsByPid.forEach((pid, list) -> {
            ArrayDeque<Set<String>> mine = new ArrayDeque<>(sessions + 1);
            for (Set<String> partners : list.subList(Math.max(0, list.size() - sessions), list.size())) {
                mine.addLast(Set.copyOf(partners));
            }
            recent.put(pid, mine);
        });
    }

    /** True if {@code a} and {@code b} played together within either one's last N sessions. */
    public boolean recentlyPaired(String a, String b) {
        return contains(recent.get(a), b) || contains(recent.get(b), a);
    }

    /** Drops what is known about {@code pid}, e.g. when the pool forgets a performer for good. */
    public void forget(String pid) {
        recent.remove(pid);
    }

    private static boolean contains(ArrayDeque<Set<String>> sessions, String pid) {
        if (sessions == null) {
            return false;
        }
        for (Set<String> s : sessions) {
            if (s.contains(pid)) {
                return true;
            }
        }
        return false;
    }
}
