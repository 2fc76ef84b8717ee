package dev.improv.server.match;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-performer time totals of one pool: waiting in the lobby (queued until offered or gone), holding an offer
 * (offered until confirmed, expired or gone), and playing scenes (scene start to end while in that room). Totals
 * are closed intervals plus the interval still open, counted up to {@code now}. Opening an interval that is
 * already open does nothing, so a reconnect that repeats an event is never counted twice. Times are epoch millis;
 * a {@code now} earlier than an interval's start counts as zero. Owned by the lobby thread.
 */
public final class TimeAccounting {
    /** A performer's totals at one instant. */
    public record PerformerTime(String pid, long lobbyMs, long offerMs, long sceneMs, int scenesCompleted) {
    }

    /**
     * A performer's time on one UTC day ({@code yyyy-mm-dd}): an interval that spans midnight counts on each day
     * for its part; a scene counts as completed on the day it ended. The lines of a pay statement.
     */
    public record DayTime(String pid, String day, long lobbyMs, long offerMs, long sceneMs, int scenesCompleted) {
    }

    private static final long CLOSED = Long.MIN_VALUE;
    private static final long DAY_MS = 86_400_000L;
    private static final int LOBBY = 0;
    private static final int OFFER = 1;
    private static final int SCENE = 2;
    private static final int SCENES_COMPLETED = 3;

    private static final class Totals {
        long lobbyMs;
        long offerMs;
        long sceneMs;
        int scenesCompleted;
        long lobbySince = CLOSED;
        long offerSince = CLOSED;
        /** Open scene intervals by room id. */
        final Map<String, Long> sceneSince = new HashMap<>();
        /** Closed time per UTC day (epoch day → lobby, offer, scene ms, scenes completed). */
        final java.util.TreeMap<Long, long[]> days = new java.util.TreeMap<>();

        void add(int kind, long since, long now) {
            addSplit(days, kind, since, now);
        }
    }

    /** Adds {@code [since, now)} to {@code days}, split at UTC midnights. */
    private static void addSplit(java.util.TreeMap<Long, long[]> days, int kind, long since, long now) {
        while (since < now) {
            long day = Math.floorDiv(since, DAY_MS);
            long end = Math.min(now, (day + 1) * DAY_MS);
            days.computeIfAbsent(day, d -> new long[4])[kind] += end - since;
            since = end;
        }
    }

    private static final class Scene {
        final Set<String> present = new HashSet<>();
    }

    private final Map<String, Totals> totals = new HashMap<>();
    private final Map<String, Scene> scenes = new HashMap<>();

    /** The performer waits in the lobby from {@code now}. No-op if it already waits. */
    public void queued(String pid, long now) {
        Totals t = of(pid);
        closeOffer(t, now);
        if (t.lobbySince == CLOSED) {
            t.lobbySince = now;
        }
    }

    /** The performer got an offer: lobby time stops, offer time starts. */
    public void offered(String pid, long now) {
        Totals t = of(pid);
        closeLobby(t, now);
        if (t.offerSince == CLOSED) {
            t.offerSince = now;
        }
    }

    /** The performer's offer was confirmed: offer time stops. */
    public void confirmed(String pid, long now) {
        closeOffer(of(pid), now);
    }

    /** The performer left the lobby or was dropped from an offer: lobby and offer time stop. */
    public void leftLobby(String pid, long now) {
        Totals t = of(pid);
        closeLobby(t, now);
        closeOffer(t, now);
    }

    /**
     * A scene starts in {@code roomId} with {@code pids} present. A scene still running there ends first, unless it
     * is this very start again (the same performers, each counted from {@code now}): a room on another node resends
     * a change whose answer it missed, and a repeat must not complete a scene.
     */
    public void sceneStarted(String roomId, List<String> pids, long now) {
        Scene running = scenes.get(roomId);
        if (running != null && isThisStart(running, roomId, pids, now)) {
            return;
        }
        if (running != null) {
            sceneEnded(roomId, now);
        }
        Scene scene = new Scene();
        scenes.put(roomId, scene);
        for (String pid : pids) {
            scene.present.add(pid);
            of(pid).sceneSince.putIfAbsent(roomId, now);
        }
    }

    private boolean isThisStart(Scene running, String roomId, List<String> pids, long now) {
        if (pids.isEmpty() || !running.present.equals(new HashSet<>(pids))) {
            return false;
        }
        for (String pid : pids) {
            Totals t = totals.get(pid);
            Long since = t == null ? null : t.sceneSince.get(roomId);
            if (since == null || since != now) {
                return false;
            }
        }
        return true;
    }

    /** The performer is (back) in {@code roomId}; if a scene runs there, its scene time runs again. */
    public void performerJoinedRoom(String roomId, String pid, long now) {
        Scene scene = scenes.get(roomId);
        if (scene != null) {
            scene.present.add(pid);
            of(pid).sceneSince.putIfAbsent(roomId, now);
        }
    }

    /** The performer left {@code roomId} (or its connection dropped): its scene time there stops. */
    public void performerLeftRoom(String roomId, String pid, long now) {
        Scene scene = scenes.get(roomId);
        if (scene != null) {
            scene.present.remove(pid);
        }
        Totals t = totals.get(pid);
        if (t != null) {
            Long since = t.sceneSince.remove(roomId);
            if (since != null) {
                t.sceneMs += elapsed(since, now);
                t.add(SCENE, since, now);
            }
        }
    }

    /** The scene in {@code roomId} ends: everyone still present has their time closed and completes it. */
    public void sceneEnded(String roomId, long now) {
        Scene scene = scenes.remove(roomId);
        if (scene == null) {
            return;
        }
        for (String pid : scene.present) {
            Totals t = of(pid);
            Long since = t.sceneSince.remove(roomId);
            if (since != null) {
                t.sceneMs += elapsed(since, now);
                t.add(SCENE, since, now);
            }
            t.scenesCompleted++;
            t.days.computeIfAbsent(Math.floorDiv(now, DAY_MS), d -> new long[4])[SCENES_COMPLETED]++;
        }
    }

    /** Totals for {@code pid}, with any open interval counted up to {@code now}. */
    public PerformerTime snapshot(String pid, long now) {
        Totals t = totals.get(pid);
        if (t == null) {
            return new PerformerTime(pid, 0, 0, 0, 0);
        }
        long lobby = t.lobbyMs + (t.lobbySince == CLOSED ? 0 : elapsed(t.lobbySince, now));
        long offer = t.offerMs + (t.offerSince == CLOSED ? 0 : elapsed(t.offerSince, now));
        long scene = t.sceneMs;
        for (long since : t.sceneSince.values()) {
            scene += elapsed(since, now);
        }
        return new PerformerTime(pid, lobby, offer, scene, t.scenesCompleted);
    }

    /**
     * {@code pid}'s time per UTC day, oldest first, open intervals counted up to {@code now}; the days add up to
     * {@link #snapshot}. Days without any time are left out.
     */
    public List<DayTime> days(String pid, long now) {
        Totals t = totals.get(pid);
        if (t == null) {
            return List.of();
        }
        java.util.TreeMap<Long, long[]> days = new java.util.TreeMap<>();
        t.days.forEach((d, v) -> days.put(d, v.clone()));
        if (t.lobbySince != CLOSED) {
            addSplit(days, LOBBY, t.lobbySince, now);
        }
        if (t.offerSince != CLOSED) {
            addSplit(days, OFFER, t.offerSince, now);
        }
        for (long since : t.sceneSince.values()) {
            addSplit(days, SCENE, since, now);
        }
        List<DayTime> out = new java.util.ArrayList<>();
        days.forEach((d, v) -> out.add(new DayTime(pid, java.time.LocalDate.ofEpochDay(d).toString(), v[LOBBY],
                v[OFFER], v[SCENE], (int) v[SCENES_COMPLETED])));
        return out;
    }

    /** Every performer's totals, open intervals and days, and the running scenes (for a {@link PoolSnapshot}). */
    PoolSnapshot.TimeState snapshot() {
        List<PoolSnapshot.PerformerTotals> performers = new java.util.ArrayList<>();
        new java.util.TreeMap<>(totals).forEach((pid, t) -> {
            List<PoolSnapshot.Day> days = new java.util.ArrayList<>();
            t.days.forEach((d, v) -> days.add(new PoolSnapshot.Day(d, v[LOBBY], v[OFFER], v[SCENE],
                    v[SCENES_COMPLETED])));
            performers.add(new PoolSnapshot.PerformerTotals(pid, t.lobbyMs, t.offerMs, t.sceneMs, t.scenesCompleted,
                    t.lobbySince == CLOSED ? null : t.lobbySince, t.offerSince == CLOSED ? null : t.offerSince,
                    t.sceneSince.isEmpty() ? Map.of() : new java.util.TreeMap<>(t.sceneSince), days)); // most: none
        });
        List<PoolSnapshot.Scene> running = new java.util.ArrayList<>();
        new java.util.TreeMap<>(scenes).forEach((roomId, scene) -> running.add(new PoolSnapshot.Scene(roomId,
                new java.util.TreeSet<>(scene.present))));
        return new PoolSnapshot.TimeState(performers, running);
    }

    /** Starts over with the state {@code s} (from {@link #snapshot}). */
    void restore(PoolSnapshot.TimeState s) {
        totals.clear();
        scenes.clear();
        for (PoolSnapshot.PerformerTotals p : s.performers()) {
            Totals t = of(p.pid());
            t.lobbyMs = p.lobbyMs();
            t.offerMs = p.offerMs();
            t.sceneMs = p.sceneMs();
            t.scenesCompleted = p.scenesCompleted();
            t.lobbySince = p.lobbySince() == null ? CLOSED : p.lobbySince();
            t.offerSince = p.offerSince() == null ? CLOSED : p.offerSince();
            t.sceneSince.putAll(p.sceneSince());
            for (PoolSnapshot.Day d : p.days()) {
                t.days.put(d.epochDay(), new long[] {d.lobbyMs(), d.offerMs(), d.sceneMs(), d.scenesCompleted()});
            }
        }
        for (PoolSnapshot.Scene sc : s.scenes()) {
            Scene scene = new Scene();
            scene.present.addAll(sc.present());
            scenes.put(sc.roomId(), scene);
        }
    }

    private Totals of(String pid) {
        return totals.computeIfAbsent(pid, k -> new Totals());
    }

    private static void closeLobby(Totals t, long now) {
        if (t.lobbySince != CLOSED) {
            t.lobbyMs += elapsed(t.lobbySince, now);
            t.add(LOBBY, t.lobbySince, now);
            t.lobbySince = CLOSED;
        }
    }

    private static void closeOffer(Totals t, long now) {
        if (t.offerSince != CLOSED) {
            t.offerMs += elapsed(t.offerSince, now);
            t.add(OFFER, t.offerSince, now);
            t.offerSince = CLOSED;
        }
    }

    private static long elapsed(long since, long now) {
        return Math.max(0, now - since);
    }
}
