package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One performer's local take of one scene, as the take assembly left it (docs/recording.md):
 * {@code takes/<room>/<scene>/<pid>.wav}, placed on the server timeline by {@code <pid>.json} (sample {@code i}
 * at {@code firstSampleServerUs + i / 48 kHz}), with the alignment the export carries in each sample's metadata.
 * The export's primary audio where it exists; the media recorder's track is then the backup.
 */
record LocalTake(MediaTrack audio, String source, Map<String, Object> alignment) {
    /** The ids the server makes (room ids, participant ids): nothing that could leave the takes folder. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

    /**
     * The local take of {@code pid} in scene {@code scene} of room {@code roomId}, if it was assembled in session
     * {@code sessionId} and placed (its first sample has a server time); null otherwise.
     */
    static LocalTake find(Path dataDir, String roomId, String sessionId, int scene, String pid) throws IOException {
        if (roomId == null || pid == null || !SAFE.matcher(roomId).matches() || !SAFE.matcher(pid).matches()) {
            return null;
        }
        String folder = "takes/" + roomId + "/" + scene + "/";
        Path wav = dataDir.resolve(folder + pid + ".wav");
        Path json = dataDir.resolve(folder + pid + ".json");
        if (!Files.isRegularFile(wav) || !Files.isRegularFile(json)) {
            return null;
        }
        JsonNode meta;
        try {
            meta = ProtocolCodec.mapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new IOException(json + ": not a take's description: " + e.getMessage(), e);
        }
        if (!sessionId.equals(meta.path("session").asText()) || !meta.path("firstSampleServerUs").canConvertToLong()
                || meta.path("sampleRate").asInt() != MediaTrack.RATE) {
            return null; // another session's take of a reused room id, or a track with no placed chunk
        }
        Map<String, Object> alignment = new LinkedHashMap<>();
        for (String field : new String[] {"firstSampleServerUs", "offsetFromSceneStartUs", "driftPpm", "alignErrorUs",
                "clockOffsetUs", "clockRttUs", "capture", "complete", "chunks", "missing"}) {
            JsonNode v = meta.path(field);
            alignment.put(field, v.isMissingNode() || v.isNull() ? null : ProtocolCodec.mapper().treeToValue(v, Object.class));
        }
        alignment.put("segments", meta.path("segments").size());
        // the camera's WebM files of the take (--take-video), not cut per sample (that would re-encode them): a
        // sample's picture is at media time (sample start - firstFrameServerUs) in the file
        List<Map<String, Object>> camera = new ArrayList<>();
        for (JsonNode f : meta.path("video").path("files")) {
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("file", folder + f.path("file").asText());
            file.put("firstFrameServerUs", f.path("firstFrameServerUs").asLong());
            file.put("mimeType", meta.path("video").path("mimeType").asText(null));
            camera.add(file);
        }
        alignment.put("camera", camera.isEmpty() ? null : camera);
        // the server-side recording's placement of the same sound, measured at assembly (BackupAlignment)
        JsonNode backup = meta.path("backup");
        for (String field : new String[] {"offsetUs", "offsetMinUs", "offsetMaxUs", "correlation", "windows"}) {
            JsonNode v = backup.path(field);
            alignment.put("backup" + Character.toUpperCase(field.charAt(0)) + field.substring(1),
                    v.isNumber() ? v.numberValue() : null);
        }
        return new LocalTake(MediaTrack.placed(wav, meta.path("firstSampleServerUs").asLong()), folder + pid + ".wav",
                alignment);
    }

    Long offsetUs() {
        return alignment.get("offsetFromSceneStartUs") instanceof Number n ? n.longValue() : null;
    }

    /** Where the server-side recording has the same sound, later by this much (null: not measured). */
    Long backupOffsetUs() {
        return alignment.get("backupOffsetUs") instanceof Number n ? n.longValue() : null;
    }

        Double driftPpm() {
        return alignment.get("driftPpm") instanceof Number n ? n.doubleValue() : null;
    }

    Long alignErrorUs() {
        return alignment.get("alignErrorUs") instanceof Number n ? n.longValue() : null;
    }
}
