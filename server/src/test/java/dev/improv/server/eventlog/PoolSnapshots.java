package dev.improv.server.eventlog;

import dev.improv.server.match.LobbyConfig;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.match.Preferences;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Pool snapshots for the log's tests, built from the public snapshot records. */
final class PoolSnapshots {
    private PoolSnapshots() {
    }

    /** A pool with nobody in it, as of {@code lastFactAt}. */
    static LobbyFact empty(String pool, long lastFactAt) {
        return waiting(pool, lastFactAt, List.of());
    }

    /**
     * A pool with nobody waiting whose names (of everyone who connected) take about {@code bytes} of JSON: the cheap
     * way to a snapshot over a chunk, or over the 16 MiB record limit.
     */
    static PoolSnapshot withNames(String pool, long lastFactAt, int bytes) {
        Map<String, String> names = new java.util.TreeMap<>();
        String name = "n".repeat(100_000);
        for (int i = 0; i * 100_000 < bytes; i++) {
            names.put("p" + i, name);
        }
        return new PoolSnapshot(LobbyConfig.of(pool, 1, "consent"), 2, lastFactAt, names, List.of(), List.of(),
                new PoolSnapshot.LobbyState(0, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                        Map.of(), new PoolSnapshot.TimeState(List.of(), List.of())));
    }

    /** A pool in which {@code pids} wait, in this order of arrival (one millisecond apart, from 1). */
    static LobbyFact waiting(String pool, long lastFactAt, List<String> pids) {
        List<PoolSnapshot.Member> members = new java.util.ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            members.add(new PoolSnapshot.Member(pids.get(i), Preferences.of(Set.of("en"), Set.of(), false), i + 1, 1,
                    i + 1, null, 0, 0));
        }
        return new PoolSnapshot(LobbyConfig.of(pool, 1, "consent"), 2, lastFactAt, Map.of(), List.of(), List.of(),
                new PoolSnapshot.LobbyState(0, members, List.of(), List.of(), List.of(), List.of(), List.of(),
                        Map.of(), new PoolSnapshot.TimeState(List.of(), List.of())));
    }
}
