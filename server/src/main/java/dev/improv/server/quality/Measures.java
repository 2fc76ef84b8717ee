package dev.improv.server.quality;

/**
 * One performer's measures in one take, from the moment they were first present in it until {@code atUs}.
 *
 * @param elapsedS        the performer's part of the take so far (from their first presence in it)
 * @param speechS         time speaking (speaking marks: the page's voice activity)
 * @param speechRatio     speechS / elapsedS
 * @param overlapRatio    share of their speech during which another performer spoke too (0 when they said nothing)
 * @param longestSilenceS longest time without speaking, the current silence included
 * @param silenceNowS     the silence going on now (0 while speaking)
 * @param speakingBalance their share of all the take's speech (null while nobody spoke)
 * @param turnGaps        gaps before their turns: floor transfers from another performer to them
 * @param mutedS          time muted by a moderator
 * @param reconnects      times their connection came back during the take
 */
public record Measures(long atUs, double elapsedS, double speechS, double speechRatio, double overlapRatio,
                       double longestSilenceS, double silenceNowS, Double speakingBalance, TurnGaps turnGaps,
                       double mutedS, int reconnects) {
    /**
     * The gaps before a performer's turns, in ms: a turn is theirs when they start speaking after another
     * performer was the last to stop, with nobody speaking in between (conversation norm: about 200 ms).
     * {@code overlapped} counts the turns they took while another performer was still speaking (no gap).
     */
    public record TurnGaps(int count, Long medianMs, Long p90Ms, int overlapped) {
    }
}
