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

    /**
     * One performer of the room as the console shows them.
     *
     * @param complete     every chunk of the microphone (and of the camera, where it is recorded) arrived
     * @param videoSeconds seconds of camera recording stored (null: no camera chunk)
     * @param videoChunks  camera chunks stored (null: none)
     */
    public record Performer(String participant, String name, String consent, double recordedSeconds,
                            double uploadedSeconds, double pendingSeconds, int chunks, List<Integer> missing,
                            boolean complete, Double videoSeconds, Integer videoChunks) {
    }

    /**
     * The room's latest take and its performers; {@code take} is null before the first scene.
     *
     * @param state recording, ended (waiting for chunks still on the pages) or closed (assembled)
     */
    public record Status(String room, int consentVersion, String take, Integer scene, String state,
                         Boolean complete, List<Performer> performers) {
    }

    /**
     * The stage consent text and this performer's answer so far (agreed, declined, or null: not asked yet).
     *
     * @param camera             the camera is recorded too (the server runs with {@code --take-video}), not only
     *                           the microphone
     * @param videoBitsPerSecond the bit rate the page records the camera at (null without the camera)
     */
    public record Consent(int version, String text, String answer, boolean camera, Integer videoBitsPerSecond) {
    }
}
