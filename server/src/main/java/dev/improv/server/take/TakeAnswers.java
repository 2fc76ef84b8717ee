package dev.improv.server.take;

import java.util.List;

/** What the take routes answer (the OpenAPI document describes these records). */
public final class TakeAnswers {
    private TakeAnswers() {
    }

    /** A chunk is durable (or was already: {@code duplicate}). */
    public record ChunkStored(String take, String participant, int index, boolean duplicate, int chunks,
                              double uploadedSeconds) {
    }

    /** One performer of the room as the console shows them. */
    public record Performer(String participant, String name, String consent, double recordedSeconds,
                            double uploadedSeconds, double pendingSeconds, int chunks, List<Integer> missing,
                            boolean complete) {
    }

    /**
     * The room's latest take and its performers; {@code take} is null before the first scene.
     *
     * @param state recording, ended (waiting for chunks still on the pages) or closed (assembled)
     */
    public record Status(String room, int consentVersion, String take, Integer scene, String state,
                         Boolean complete, List<Performer> performers) {
    }

    /** The stage consent text and this performer's answer so far (agreed, declined, or null: not asked yet). */
    public record Consent(int version, String text, String answer) {
    }
}
