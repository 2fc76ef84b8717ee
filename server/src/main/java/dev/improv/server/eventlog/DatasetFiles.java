package dev.improv.server.eventlog;

import com.fasterxml.jackson.databind.ObjectWriter;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link DatasetBuilder.Dataset} as files for offline use, one folder per session:
 * {@code <out>/<sessionId>/session.json}, {@code scene-<n>/prompt.json} and
 * {@code scene-<n>/participant-<id>/turns.json} + {@code vad.json}. Blocking I/O; see {@code docs/dataset.md}.
 */
public final class DatasetFiles {
    private static final ObjectWriter JSON = ProtocolCodec.mapper().writerWithDefaultPrettyPrinter();

    private DatasetFiles() {
    }

    /** Writes (replacing) the session's folder under {@code out}; returns that folder. */
    public static Path write(String sessionId, DatasetBuilder.Dataset d, Path out) throws IOException {
        if (!SessionFiles.validId(sessionId)) {
            throw new IllegalArgumentException("invalid session id");
        }
        Path dir = out.resolve(sessionId);
        Files.createDirectories(dir);
        Map<String, Object> session = new LinkedHashMap<>();
        session.put("formatVersion", d.formatVersion());
        session.put("sessionId", sessionId);
        session.put("roomId", d.roomId());
        session.put("roomName", d.roomName());
        session.put("startedAt", d.startedAt());
        session.put("endedAt", d.endedAt());
        session.put("vadFrameMs", d.vadFrameMs());
        session.put("participants", d.participants());
        session.put("clockOffsets", d.clockOffsets());
        List<Map<String, Object>> scenes = new ArrayList<>();
        for (DatasetBuilder.Scene s : d.scenes()) {
            Map<String, Object> scene = sceneHeader(s);
            scene.put("performers", s.performers().stream().map(DatasetBuilder.PerformerTrack::participant).toList());
            scenes.add(scene);
        }
        session.put("scenes", scenes);
        session.put("warnings", d.warnings());
        JSON.writeValue(dir.resolve("session.json").toFile(), session);

        for (DatasetBuilder.Scene s : d.scenes()) {
            Path sceneDir = dir.resolve("scene-" + s.number());
            Files.createDirectories(sceneDir);
            Map<String, Object> prompt = sceneHeader(s);
            prompt.put("leadInPrompt", s.leadInPrompt());
            prompt.put("prompts", s.prompts());
            JSON.writeValue(sceneDir.resolve("prompt.json").toFile(), prompt);
            for (DatasetBuilder.PerformerTrack t : s.performers()) {
                Path pDir = sceneDir.resolve("participant-" + folderName(t.participant()));
                Files.createDirectories(pDir);
                Map<String, Object> turns = new LinkedHashMap<>();
                turns.put("participant", t.participant());
                turns.put("name", t.name());
                turns.put("scene", s.number());
                turns.put("turns", t.turns());
                turns.put("speech", t.speech());
                JSON.writeValue(pDir.resolve("turns.json").toFile(), turns);
                Map<String, Object> vad = new LinkedHashMap<>();
                vad.put("participant", t.participant());
                vad.put("scene", s.number());
                vad.put("originTs", t.vad().originTs());
                vad.put("frameMs", t.vad().frameMs());
                vad.put("frames", t.vad().frames());
                vad.put("voiced", t.vad().voiced());
                vad.put("voicedMs", t.vad().voicedMs());
                JSON.writeValue(pDir.resolve("vad.json").toFile(), vad);
            }
        }
        return dir;
    }

    private static Map<String, Object> sceneHeader(DatasetBuilder.Scene s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scene", s.number());
        m.put("title", s.title());
        m.put("startSeq", s.startSeq());
        m.put("startTs", s.startTs());
        m.put("endSeq", s.endSeq());
        m.put("endTs", s.endTs());
        return m;
    }

    /** Participant ids come from join tokens; anything outside [A-Za-z0-9._-] becomes '_' in a folder name. */
    static String folderName(String participantId) {
        String safe = participantId == null ? "unknown" : participantId.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() || safe.chars().allMatch(c -> c == '.') ? "_" : safe;
    }
}
