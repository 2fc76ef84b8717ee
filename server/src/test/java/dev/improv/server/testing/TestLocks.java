package dev.improv.server.testing;

/**
 * Names of the JUnit resource locks that keep the integration tests honest when two classes run at once
 * (failsafe runs {@code it.parallelism} classes concurrently, 2 by default; {@code -Dit.parallelism=1} runs them one
 * after another).
 */
public final class TestLocks {
    /**
     * Held by the classes that keep the CPUs busy or whose bounds are about the server's latency: Chromium (the
     * browser tests), webrtc-java (the media tests), and the attack tests that compare a room's prompt latency
     * during an attack with the noise of the box. Two of them at once would measure each other; each may run next
     * to the other integration tests, which mostly wait on sockets, timers and child processes.
     */
    public static final String CPU = "cpu-bound-or-latency-measuring";

    private TestLocks() {
    }
}
