package dev.improv.server.quality;

/**
 * When a measure raises a {@code qc_flag} (server flags {@code --qc-*}, docs/operations.md and docs/dataset.md).
 * Ratio conditions are judged only once a performer has been in the take for {@code minTakeS}; a raised ratio
 * condition clears only when the measure is back past its threshold by {@code hysteresis}, so a value hovering at
 * the threshold raises it once, not every second.
 *
 * @param intervalMs        how often a room with a running scene evaluates (the flags' latency)
 * @param minTakeS          seconds of a performer's part of the take before ratio conditions are judged
 * @param mostlySilentBelow {@code mostly_silent} when the speech ratio is below this
 * @param talksOverAbove    {@code talks_over} when the overlap ratio is above this (after {@code minSpeechS} of
 *                          speech)
 * @param minSpeechS        seconds of one's own speech before {@code talks_over} is judged
 * @param longSilenceS      {@code long_silence} when the silence going on is longer than this
 * @param dominatesAbove    {@code dominates} when one performer's share of all speech is above this (2 or more
 *                          performers)
 * @param slowTurnsMs       {@code slow_turns} when the median gap before one's turns is longer than this
 * @param minTurnGaps       gaps measured before {@code slow_turns} is judged
 * @param mutedLongS        {@code muted_long} when muted longer than this in the take
 * @param maxReconnects     {@code reconnects} when the connection came back more often than this in the take
 * @param hysteresis        how far past the threshold a ratio must come back to clear its flag (and, times the
 *                          threshold, the turn-gap median)
 */
public record QcThresholds(long intervalMs, double minTakeS, double mostlySilentBelow, double talksOverAbove,
                           double minSpeechS, double longSilenceS, double dominatesAbove, long slowTurnsMs,
                           int minTurnGaps, double mutedLongS, int maxReconnects, double hysteresis) {
    public QcThresholds {
        require(intervalMs >= 100 && intervalMs <= 60_000, "qc interval must be 100..60000 ms");
        require(minTakeS >= 0, "qc min take must not be negative");
        require(ratio(mostlySilentBelow), "qc mostly-silent ratio must be 0..1");
        require(ratio(talksOverAbove), "qc talks-over ratio must be 0..1");
        require(minSpeechS >= 0, "qc min speech must not be negative");
        require(longSilenceS > 0, "qc long silence must be positive");
        require(dominatesAbove > 0 && dominatesAbove <= 1, "qc dominates share must be above 0, at most 1");
        require(slowTurnsMs > 0, "qc slow turns must be positive");
        require(minTurnGaps >= 1, "qc min turn gaps must be at least 1");
        require(mutedLongS > 0, "qc muted long must be positive");
        require(maxReconnects >= 0, "qc max reconnects must not be negative");
        require(hysteresis >= 0 && hysteresis < 0.5, "qc hysteresis must be 0..0.5");
    }

    /** The defaults of the server flags. */
    public static final QcThresholds DEFAULTS = new QcThresholds(1000, 30, 0.2, 0.5, 5, 30, 0.8, 1500, 5, 30, 3,
            0.05);

    private static boolean ratio(double v) {
        return v >= 0 && v <= 1;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
