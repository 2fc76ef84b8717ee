package dev.improv.server.match;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Latency of match decisions with 10,000 waiting performers. Not a test (Surefire runs only *Test classes); run:
 * <pre>
 * mvn -B -q -o -pl server test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp server/target/test-classes:server/target/classes:$(cat server/target/cp.txt) \
 *     dev.improv.server.match.MatcherBenchmark
 * </pre>
 * Three figures: one decision (serve the longest waiter) in a pool kept at 10,000 random performers; a whole round
 * over 10,000 random performers who all arrived at once, per group formed; and a tick after one arrival when
 * 10,000 performers wait who cannot be paired with each other (the steady state of a crowded lobby).
 */
public final class MatcherBenchmark {
    private static final int POOL = 10_000;
    private static final String[] LANGS = {"en", "en", "en", "de", "de", "fr", "es", "it", "pt", "nl", "pl", "sv"};
    private static final String[] TAGS = {"drama", "comedy", "musical", "horror", "romance", "scifi", "western",
        "noir", "mystery", "clown", "poetry", "satire", "fantasy", "crime", "family", "tragedy", "farce", "heist",
        "sports", "history"};

    private final Random rnd = new Random(42);
    private long clock;
    private int ids;

    public static void main(String[] args) {
        MatcherBenchmark b = new MatcherBenchmark();
        b.decisions(50_000, false);
        b.report("decision, pool of 10,000 random (ns)", b.decisions(200_000, true));
        b.batchRounds(3, false);
        b.report("round of 10,000 arriving at once, per group (ns)", b.batchRounds(20, true));
        b.stableTicks(2_000, false);
        b.report("tick after one arrival, 10,000 unpairable waiting (ns)", b.stableTicks(5_000, true));
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

    private Histogram stableTicks(int ticks, boolean record) {
        Matcher matcher = new Matcher(MatchRules.defaults().withRelaxation(MatchRules.NEVER, MatchRules.NEVER,
                MatchRules.NEVER));
        PartnerHistory history = new PartnerHistory(3);
        WaitingPool pool = new WaitingPool();
        // Everyone asks for a shared tag and has a tag of their own: nobody can be paired.
        for (int i = 0; i < POOL; i++) {
            clock += 10;
            pool.add(new WaitingPerformer("s" + i, Preferences.of(Set.of(LANGS[i % LANGS.length]),
                    Set.of("solo" + i), true), clock));
        }
        Histogram h = new Histogram(3);
        for (int i = 0; i < ticks; i++) {
            // one arrival who fits exactly one waiting performer, like a steady trickle
            int target = rnd.nextInt(POOL);
            clock += 10;
            WaitingPerformer target0 = pool.get("s" + target);
            WaitingPerformer newcomer = new WaitingPerformer("n" + i, target0.prefs(), clock);
            pool.add(newcomer);
            long t0 = System.nanoTime();
            List<MatchGroup> groups = matcher.match(pool, history, clock);
            long t1 = System.nanoTime();
            if (record) {
                h.recordValue(t1 - t0);
            }
            if (groups.size() != 1) {
                throw new IllegalStateException("expected one group, got " + groups.size());
            }
            // put the matched one back so the pool stays at 10,000
            pool.add(new WaitingPerformer(target0.id(), target0.prefs(), target0.arrivedAt()));
        }
        return h;
    }

    private void report(String what, Histogram h) {
        System.out.printf("%-56s n=%d p50=%d p99=%d p999=%d max=%d%n", what, h.getTotalCount(),
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                h.getMaxValue());
    }
}
