package dev.improv.server.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link WaitEstimator#movesAt} against stepping the clock one millisecond at a time. */
class WaitEstimatorTest {
    @Test
    void movesAtIsTheFirstMillisecondTheEstimateMovesByAStep() {
        Random rnd = new Random(7);
        for (int round = 0; round < 800; round++) {
            WaitEstimator e = new WaitEstimator();
            long now = 1_000;
            for (int i = rnd.nextInt(5); i > 0; i--) {
                now += rnd.nextInt(2_000);
                e.matched(1 + rnd.nextInt(3), now);
            }
            now += rnd.nextInt(1_000);
            int position = 1 + rnd.nextInt(300);
            long step = 1 + rnd.nextInt(rnd.nextBoolean() ? 10 : 5_000);
            long told = e.estimate(position, now) - rnd.nextInt((int) Math.min(step, 50));
            if (e.estimate(position, now) < 0) {
                told = -1;
            }
            long at = e.movesAt(position, told, step, now);
            long t = now;
            while (t < now + 200_000 && !moved(e, position, told, step, t)) {
                t++;
            }
            if (t == now + 200_000) {
                assertTrue(at > t || at == Long.MAX_VALUE, "round " + round + ": no move seen, movesAt " + at);
            } else {
                assertEquals(t, at, "round " + round + " position " + position + " told " + told + " step " + step);
            }
        }
    }

    private static boolean moved(WaitEstimator e, int position, long told, long step, long t) {
        long est = e.estimate(position, t);
        return (est < 0) != (told < 0) || Math.abs(est - told) >= step;
    }
}
