package dev.improv.server.match;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Latency of match decisions and lobby ticks with 10,000 and 50,000 waiting performers. Not a test (Surefire runs
 * only *Test classes); run:
 * <pre>
 * mvn -B -q -o -pl server -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp server/target/test-classes:server/target/classes:$(cat server/target/cp.txt) \
 *     dev.improv.server.match.MatcherBenchmark
 * </pre>
 * Figures: one decision (serve the longest waiter) in a pool kept at 10,000 random performers; a whole round
 * over 10,000 random performers who all arrived at once, per group formed; a round after one arrival when
 * 10,000 or 50,000 performers wait who cannot be paired with each other (the steady state of a crowded lobby),
 * once re-trying everyone ({@link ReferenceMatcher}, as before 2026-12-01) and once incrementally
 * ({@link IncrementalMatcher}); and whole {@link Lobby#tick}s of a 50,000 lobby with default rules whose
 * performers rarely fit (relaxation thresholds crossing every tick), without and with one match per tick.
 */
public final class MatcherBenchmark {
    private static final int POOL = 10_000;
    private static final String[] LANGS = {"en", "en", "en", "de", "de", "fr", "es", "it", "pt", "nl", "pl", "sv"};
    private static final String[] TAGS = {"drama", "comedy", "musical", "horror", "romance", "scifi", "western",
        "noir", "mystery", "clown", "poetry", "satire", "fantasy", "crime", "family", "tragedy", "farce", "heist",
        "sports", "history"};

    private final Random rnd = new Random(42);
    /** The thread's CPU time of each timed step next to its wall time: on a shared box the wall time includes waits. */
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private Histogram cpu = new Histogram(3);
    private long clock;
    private int ids;

    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        MatcherBenchmark b = new MatcherBenchmark();
        if (!quick) {
            b.before();
        }
        for (int pool : new int[] {10_000, 50_000}) {
            b.stableTicks(pool, 2_000, false, true);
            b.report(String.format("incremental round, one arrival, %,d unpairable (ns)", pool),
                    b.stableTicks(pool, 20_000, true, true));
        }
        b.lobbyTicks(50_000, 1, 480, false, false);
        b.report("Lobby.tick, 50,000 rarely fitting, one arrival per tick (ns)", b.lobbyTicks(50_000, 5, 480, true, false));
        b.lobbyTicks(50_000, 1, 100, false, true);
        b.report("Lobby.tick, 50,000 waiting, one match per tick (ns)", b.lobbyTicks(50_000, 2, 200, true, true));
    }

    /** The figures of the matcher before it became incremental, for comparison in the same run. */
    private void before() {
        decisions(50_000, false);
        report("decision, pool of 10,000 random (ns)", decisions(200_000, true));
        batchRounds(3, false);
        report("round of 10,000 arriving at once, per group (ns)", batchRounds(20, true));
        stableTicks(POOL, 2_000, false, false);
        report("full round, one arrival, 10,000 unpairable (ns)", stableTicks(POOL, 5_000, true, false));
        stableTicks(50_000, 200, false, false);
        report("full round, one arrival, 50,000 unpairable (ns)", stableTicks(50_000, 1_000, true, false));
    }

    private WaitingPerformer randomPerformer() {
        Set<String> langs = new HashSet<>();
        langs.add(LANGS[rnd.nextInt(LANGS.length)]);
        if (rnd.nextInt(3) == 0) {
            langs.add(LANGS[rnd.nextInt(LANGS.length)]);
        }
        Set<String> tags = new HashSet<>();
        for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
            tags.add(TAGS[rnd.nextInt(TAGS.length)]);
        }
        Set<String> avoid = rnd.nextInt(10) == 0 ? Set.of("p" + rnd.nextInt(ids + 1)) : Set.of();
        clock += 10;
        return new WaitingPerformer("p" + ids++, new Preferences(langs, tags, rnd.nextBoolean(), avoid), clock);
    }

    private Histogram decisions(int count, boolean record) {
        Matcher matcher = new Matcher(MatchRules.defaults());
        PartnerHistory history = new PartnerHistory(3);
        WaitingPool pool = new WaitingPool();
        while (pool.size() < POOL) {
            pool.add(randomPerformer());
        }
        Histogram h = new Histogram(3);
        for (int i = 0; i < count; i++) {
            WaitingPerformer anchor = pool.inArrivalOrder().first();
            long t0 = System.nanoTime();
            MatchGroup g = matcher.decide(anchor, pool, history, clock);
            long t1 = System.nanoTime();
            if (record) {
                h.recordValue(t1 - t0);
            }
            if (g == null) {
                pool.remove(anchor.id());
            } else {
                g.members().forEach(m -> pool.remove(m.id()));
                history.record(g.pids());
            }
            while (pool.size() < POOL) {
                pool.add(randomPerformer());
            }
        }
        return h;
    }

    private Histogram batchRounds(int rounds, boolean record) {
        Histogram h = new Histogram(3);
        for (int r = 0; r < rounds; r++) {
            Matcher matcher = new Matcher(MatchRules.defaults());
            WaitingPool pool = new WaitingPool();
            while (pool.size() < POOL) {
                pool.add(randomPerformer());
            }
            long t0 = System.nanoTime();
            List<MatchGroup> groups = matcher.match(pool, new PartnerHistory(3), clock);
            long t1 = System.nanoTime();
            if (record && !groups.isEmpty()) {
                h.recordValue((t1 - t0) / groups.size());
            }
        }
        return h;
    }

    /**
     * Rounds after one arrival each, {@code size} waiting who cannot be paired: everyone asks for a shared tag and
     * has a tag of their own, no relaxation. The arrival fits exactly one waiting performer (a steady trickle).
     */
    private Histogram stableTicks(int size, int ticks, boolean record, boolean incremental) {
        MatchRules rules = MatchRules.defaults().withRelaxation(MatchRules.NEVER, MatchRules.NEVER, MatchRules.NEVER);
        ReferenceMatcher full = new ReferenceMatcher(rules);
        PartnerHistory history = new PartnerHistory(3);
        WaitingPool pool = new WaitingPool();
        IncrementalMatcher matcher = incremental ? new IncrementalMatcher(rules, pool, history) : null;
        for (int i = 0; i < size; i++) {
            clock += 10;
            pool.add(new WaitingPerformer("s" + i, Preferences.of(Set.of(LANGS[i % LANGS.length]),
                    Set.of("solo" + i), true), clock));
        }
        if (incremental) {
            matcher.match(clock, Integer.MAX_VALUE); // the first round tries everyone once
        }
        Histogram h = new Histogram(3);
        for (int i = 0; i < ticks; i++) {
            int target = rnd.nextInt(size);
            clock += 10;
            WaitingPerformer target0 = pool.get("s" + target);
            pool.add(new WaitingPerformer("n" + i, target0.prefs(), clock));
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            List<MatchGroup> groups = incremental ? matcher.match(clock, Integer.MAX_VALUE)
                    : full.match(pool, history, clock, Integer.MAX_VALUE);
            long t1 = System.nanoTime();
            long c1 = threads.getCurrentThreadCpuTime();
            if (record) {
                h.recordValue(t1 - t0);
                cpu.recordValue(c1 - c0);
            }
            if (groups.size() != 1) {
                throw new IllegalStateException("expected one group, got " + groups.size());
            }
            // put the matched one back so the pool stays at its size
            pool.add(new WaitingPerformer(target0.id(), target0.prefs(), target0.arrivedAt()));
        }
        return h;
    }

    /**
     * Whole lobby ticks, 250 ms apart, of {@code lobbies} fresh lobbies with {@code size} waiting each, under the
     * default rules (tags relaxed after 1 min, repeats after 2 min). Every performer speaks a language of its own
     * and asks for a tag of its own, so nobody fits anybody. They arrived 10 ms apart, so in the first 2 minutes of
     * ticks the thresholds of 25-50 performers come due in every tick. Each tick one performer arrives; with
     * {@code oneMatch} the arrival fits a random waiting performer, the two accept and leave, and the one who was
     * waiting comes back as a new arrival at the end: everyone behind it moves up and is told so.
     */
    private Histogram lobbyTicks(int size, int lobbies, int ticks, boolean record, boolean oneMatch) {
        Histogram h = new Histogram(3);
        long events = 0;
        int waiting = 0;
        for (int l = 0; l < lobbies; l++) {
            Lobby lobby = new Lobby(LobbyConfig.of("bench", 1, "consent"));
            long now = 1_000_000;
            for (int i = 0; i < size; i++) {
                now += 10;
                lobby.join("w" + i, solo("w" + i), 1, now);
            }
            lobby.tick(now); // the first tick tries everyone once
            for (int i = 0; i < ticks; i++) {
                now += LobbyHub.TICK_MS;
                String pid = "a" + i;
                String partner = oneMatch ? "w" + rnd.nextInt(size) : pid;
                lobby.join(pid, solo(partner), 1, now);
                long c0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                List<LobbyEvent> out = lobby.tick(now);
                long t1 = System.nanoTime();
                long c1 = threads.getCurrentThreadCpuTime();
                if (record) {
                    h.recordValue(t1 - t0);
                    cpu.recordValue(c1 - c0);
                    events += out.size();
                }
                for (LobbyEvent e : out) {
                    if (e instanceof LobbyEvent.Offered o) {
                        for (String p : o.pids()) {
                            lobby.accept(p, o.offerId(), now);
                        }
                        String back = o.pids().get(0); // the one who waited, after its scene
                        lobby.join(back, solo(back), 1, now);
                    }
                }
            }
            waiting = lobby.waitingCount();
        }
        if (record) {
            System.out.printf("  (%,d waiting at the end, %.1f events per tick)%n", waiting, events / (double) h.getTotalCount());
        }
        return h;
    }

    /** A language and a tag of one's own, strict: fits nobody but someone with the same preferences. */
    private static Preferences solo(String key) {
        return Preferences.of(Set.of("lang-" + key), Set.of("solo-" + key), true);
    }

    private void report(String what, Histogram h) {
        System.out.printf("%-56s n=%d p50=%d p99=%d p999=%d max=%d%n", what, h.getTotalCount(),
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                h.getMaxValue());
        if (cpu.getTotalCount() == h.getTotalCount()) {
            System.out.printf("%-56s n=%d p50=%d p99=%d p999=%d max=%d%n", "  the same, thread CPU time (ns)",
                    cpu.getTotalCount(), cpu.getValueAtPercentile(50), cpu.getValueAtPercentile(99),
                    cpu.getValueAtPercentile(99.9), cpu.getMaxValue());
        }
        cpu = new Histogram(3);
    }
}
