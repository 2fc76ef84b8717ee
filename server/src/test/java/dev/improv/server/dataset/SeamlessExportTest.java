package dev.improv.server.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scripted session exported and read back with the standard tools' libraries; withdrawal; bad input. */
@Tag("integration")
public class SeamlessExportTest {
    @TempDir
    Path data;
    @TempDir
    Path outs;

    private SeamlessExport exporter;
    private static final String S1 = "20251202T000000Z-room1-aaaa";

    @BeforeEach
    void setUp() throws IOException {
        new ConsentTexts(data).put(new ConsentTexts.ConsentText(1, "I agree to training use.",
                List.of("training", "commercial_use"), "tracks", 1L));
        new ConsentTexts(data).put(new ConsentTexts.ConsentText(2, "Training; whole take on withdrawal.",
                List.of("training"), "interaction", 1L));
        ScriptedSessions.write(data, S1, 0, "pool-en", 1, 12);
        exporter = new SeamlessExport(data, new SessionArchive(new SessionFiles(data)), "test-exporter");
    }

    private static ExportRequest request(List<String> sessions, Set<String> pools, long shardBytes) {
        return new ExportRequest(sessions, pools, null, null, null, "01", shardBytes, List.of("en"), null);
    }

    @Test
    void exportIsReadBackWithTheStandardLibraries() throws Exception {
        List<String> progress = new ArrayList<>();
        SeamlessExport.Result r = exporter.export(request(List.of(), Set.of(), 0), outs.resolve("e1"),
                (id, done, total, bytes) -> progress.add(id + " " + done + "/" + total));
        assertEquals(List.of(S1 + " 1/1"), progress);
        assertEquals(1, r.sessions());
        assertEquals(2, r.interactions());
        assertEquals(4, r.samples());
        Path dir = r.dir();
        JsonNode manifest = ProtocolCodec.mapper().readTree(dir.resolve("manifest.json").toFile());

        // tar members: listed, grouped by key, equal to the manifest's entries byte for byte
        Map<String, JsonNode> listed = new HashMap<>();
        manifest.path("members").forEach(m -> listed.put(m.path("name").asText(), m));
        List<String> names = new ArrayList<>();
        Path shard = dir.resolve("shards/improv-000000.tar");
        try (TarFile tar = new TarFile(shard)) {
            for (TarArchiveEntry e : tar.getEntries()) {
                names.add(e.getName());
                JsonNode m = listed.get(e.getName());
                assertNotNull(m, e.getName() + " is in the manifest");
                byte[] body = tar.getInputStream(e).readAllBytes();
                assertEquals(m.path("sha256").asText(), SeamlessExport.sha256(body), e.getName());
            }
        }
        assertEquals(listed.size(), names.size());
        String key = "V01_S" + S1 + "_I0001_Pp-a";
        assertEquals(List.of(key + ".json", key + ".wav", key + ".vad.jsonl", key + ".turns.jsonl"),
                names.subList(0, 4));

        // the WAV is the performer's own track, cut at the scene start on the server timeline
        try (TarFile tar = new TarFile(shard)) {
            TarArchiveEntry wav = tar.getEntries().stream().filter(e -> e.getName().equals(key + ".wav")).findFirst()
                    .orElseThrow();
            ByteBuffer b = ByteBuffer.wrap(tar.getInputStream(wav).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(48_000, b.getInt(24));
            assertEquals(16, b.getShort(34));
            long frames = ScriptedSessions.SCENE_US * 48_000 / 1_000_000;
            assertEquals(frames * 2, b.getInt(40));
            long firstSample = 500_000 * 48_000L / 1_000_000; // the track starts 0.5 s before scene 1
            assertEquals(ScriptedSessions.sample(0, firstSample), b.getShort(44));
            assertEquals(ScriptedSessions.sample(0, firstSample + 1234), b.getShort(44 + 2 * 1234));
            JsonNode meta = ProtocolCodec.mapper().readTree(tar.getInputStream(tar.getEntries().get(0)));
            assertEquals("Prompt 1: a lighthouse keeper", meta.path("prompts").path(0).path("text").asText());
            assertTrue(meta.path("permissions").path("training").asBoolean());
            assertFalse(meta.path("permissions").path("synthetic_voice").asBoolean());
            assertEquals("audio", meta.path("vad").path("source").asText());
            assertEquals(0.375, meta.path("quality").path("speechRatio").asDouble(), meta.path("quality").toString());
            assertEquals("[]", meta.path("quality").path("flags").toString());
        }

        // the Parquet table, read back with parquet-java
        List<Group> rows = readParquet(dir.resolve("tables/samples.parquet"));
        assertEquals(4, rows.size());
        assertEquals(key, rows.get(0).getString("key", 0));
        assertEquals("improv-000000.tar", rows.get(0).getString("shard", 0));
        assertTrue(rows.get(0).getBoolean("has_audio", 0));
        assertEquals(0.375, rows.get(0).getDouble("speech_ratio", 0));
        assertEquals(0.0, rows.get(0).getDouble("overlap_ratio", 0));
        assertEquals(ScriptedSessions.SCENE_US * 48_000 / 1_000_000, rows.get(0).getLong("recorded_frames", 0));
        assertEquals(2, readParquet(dir.resolve("tables/interactions.parquet")).size());
        assertEquals("Prompt 2: a lighthouse keeper",
                readParquet(dir.resolve("tables/interactions.parquet")).get(1).getString("lead_in_prompt", 0));

        // Croissant: JSON-LD with the RAI fields and the tables' sha256
        JsonNode croissant = ProtocolCodec.mapper().readTree(dir.resolve("croissant.json").toFile());
        assertEquals("http://mlcommons.org/croissant/RAI/", croissant.path("@context").path("rai").asText());
        assertTrue(croissant.path("conformsTo").toString().contains("croissant/RAI/1.0"));
        for (String f : List.of("rai:dataCollection", "rai:dataCollectionTimeframe", "rai:personalSensitiveInformation",
                "rai:dataUseCases")) {
            assertFalse(croissant.path(f).isMissingNode(), f);
        }
        JsonNode samples = croissant.path("distribution").get(3);
        assertEquals(SeamlessExport.sha256(dir.resolve("tables/samples.parquet")), samples.path("sha256").asText());
        String card = Files.readString(dir.resolve("README.md"));
        assertTrue(card.startsWith("---\nlicense: other\n"), card);
        assertTrue(card.contains("task_categories:") && card.contains("size_categories:\n- n<1K")
                && card.contains("language:\n- en"), card);

        String licence = Files.readString(dir.resolve("LICENSE.md"));
        assertTrue(licence.contains("## Consent text version 1") && licence.contains("> I agree to training use."),
                licence);

        // provenance: the PROV chain reaches from the performer to the file
        JsonNode prov = manifest.path("prov");
        assertTrue(prov.path("agent").has("improv:performer/p-a"));
        assertTrue(prov.path("entity").has("improv:consent/" + S1 + "/p-a"));
        assertTrue(prov.path("entity").has("improv:file/improv-000000.tar/" + key + ".wav"));
        assertTrue(manifest.path("euTrainingContentSummary").path("modalities").toString().contains("audio"));

        ManifestVerifier.Report ok = ManifestVerifier.verify(dir, null);
        assertTrue(ok.ok(), ok.problems().toString());
        assertEquals(16, ok.membersChecked());
    }

    /** A local take as the take assembly leaves it: {@code takes/<room>/<scene>/<pid>.wav} and {@code .json}. */
    static void writeLocalTake(Path data, String session, int scene, String pid, long firstSampleServerUs,
                               long samples) throws IOException {
        Path dir = Files.createDirectories(data.resolve("takes/room-" + S1 + "/" + scene));
        try (dev.improv.server.media.WavWriter wav = new dev.improv.server.media.WavWriter(dir.resolve(pid + ".wav"),
                48_000, 1)) {
            short[] buf = new short[(int) samples];
            for (int i = 0; i < buf.length; i++) {
                buf[i] = localSample(i);
            }
            wav.write(buf, 0, buf.length);
        }
        long sceneStart = ScriptedSessions.T0 + 1_000_000 + (scene - 1) * (ScriptedSessions.SCENE_US + 1_000_000);
        Files.writeString(dir.resolve(pid + ".json"), "{\"take\":\"room-" + S1 + "-" + scene + "\",\"room\":\"room-"
                + S1 + "\",\"session\":\"" + session + "\",\"scene\":" + scene + ",\"participant\":\"" + pid
                + "\",\"file\":\"" + pid + ".wav\",\"sampleRate\":48000,\"channels\":1,\"samples\":" + samples
                + ",\"complete\":true,\"chunks\":6,\"missing\":[],\"sceneStartedUs\":" + sceneStart
                + ",\"firstSampleServerUs\":" + firstSampleServerUs + ",\"offsetFromSceneStartUs\":"
                + (firstSampleServerUs - sceneStart) + ",\"driftPpm\":1.5,\"alignErrorUs\":900,\"clockOffsetUs\":-42,"
                + "\"clockRttUs\":1600,\"segments\":[{\"segment\":0}],\"stamps\":[],\"backup\":{\"offsetUs\":-23456,"
                + "\"offsetMinUs\":-25000,\"offsetMaxUs\":-20000,\"correlation\":0.91,\"windows\":3}}");
    }

    /** Sample {@code i} of the local takes: unlike any of the recorder's ({@link ScriptedSessions#sample}). */
    static short localSample(long i) {
        return (short) (21_000 + i % 7);
    }

    @Test
    void aLocalTakeIsThePrimaryAudioAndTheRecordersTrackTheBackup() throws Exception {
        // p-a's local take of scene 1 ([1.0 s, 5.0 s)): its first sample 0.2 s before the scene, 3 s long;
        // p-b's take in that folder was made in another session of the same room id: not this session's
        long sceneStart = ScriptedSessions.T0 + 1_000_000;
        writeLocalTake(data, S1, 1, "p-a", sceneStart - 200_000, 3 * 48_000);
        writeLocalTake(data, "another-session", 1, "p-b", sceneStart, 3 * 48_000);
        SeamlessExport.Result r = exporter.export(request(List.of(S1), Set.of(), 0), outs.resolve("l1"),
                SeamlessExport.Progress.none());
        Path dir = r.dir();
        String key = "V01_S" + S1 + "_I0001_Pp-a";
        Map<String, byte[]> members = new java.util.LinkedHashMap<>();
        try (TarFile tar = new TarFile(dir.resolve("shards/improv-000000.tar"))) {
            for (TarArchiveEntry e : tar.getEntries()) {
                members.put(e.getName(), tar.getInputStream(e).readAllBytes());
            }
        }
        assertEquals(List.of(key + ".json", key + ".wav", key + ".backup.wav", key + ".vad.jsonl", key + ".turns.jsonl"),
                members.keySet().stream().filter(n -> n.startsWith(key + ".")).toList());
        for (String other : List.of("_I0002_Pp-a", "_I0001_Pp-b", "_I0002_Pp-b")) {
            assertFalse(members.containsKey("V01_S" + S1 + other + ".backup.wav"), other);
        }

        // the primary: the local take cut at the scene start on the server timeline (its sample 9,600 = 0.2 s),
        // recorded up to its end at 2.8 s into the scene, silence after
        long frames = ScriptedSessions.SCENE_US * 48_000 / 1_000_000;
        ByteBuffer wav = ByteBuffer.wrap(members.get(key + ".wav")).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(frames * 2, wav.getInt(40));
        assertEquals(localSample(9_600), wav.getShort(44));
        assertEquals(localSample(9_600 + 1234), wav.getShort(44 + 2 * 1234));
        long recordedLocal = 3 * 48_000 - 9_600;
        assertEquals(localSample(3 * 48_000 - 1), wav.getShort(44 + 2 * (int) (recordedLocal - 1)));
        assertEquals(0, wav.getShort(44 + 2 * (int) recordedLocal));
        // the backup: the recorder's track (it starts 0.5 s before scene 1), cut the same way
        ByteBuffer backup = ByteBuffer.wrap(members.get(key + ".backup.wav")).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(frames * 2, backup.getInt(40));
        assertEquals(ScriptedSessions.sample(0, 24_000), backup.getShort(44));
        assertEquals(ScriptedSessions.sample(0, 24_000 + 1234), backup.getShort(44 + 2 * 1234));

        // the sample's metadata: where the audio came from and how it was placed
        JsonNode meta = ProtocolCodec.mapper().readTree(members.get(key + ".json"));
        JsonNode audio = meta.path("audio");
        assertEquals("local", audio.path("source").asText(), audio.toString());
        assertEquals("takes/room-" + S1 + "/1/p-a.wav", audio.path("sourceFile").asText());
        assertEquals(-200_000, audio.path("alignment").path("offsetFromSceneStartUs").asLong());
        assertEquals(sceneStart - 200_000, audio.path("alignment").path("firstSampleServerUs").asLong());
        assertEquals(1.5, audio.path("alignment").path("driftPpm").asDouble());
        assertEquals(900, audio.path("alignment").path("alignErrorUs").asLong());
        assertEquals(1600, audio.path("alignment").path("clockRttUs").asLong());
        assertTrue(audio.path("alignment").path("complete").asBoolean());
        assertEquals(-23_456, audio.path("alignment").path("backupOffsetUs").asLong(), "measured at assembly");
        assertEquals(-25_000, audio.path("alignment").path("backupOffsetMinUs").asLong());
        assertEquals(0.91, audio.path("alignment").path("backupCorrelation").asDouble());
        assertEquals(3, audio.path("alignment").path("backupWindows").asInt());
        assertEquals(key + ".backup.wav", meta.path("backupAudio").path("file").asText());
        assertEquals("server", meta.path("backupAudio").path("source").asText());
        assertEquals("audio", meta.path("vad").path("source").asText(), "the VAD is still the recorder's");
        JsonNode ben = ProtocolCodec.mapper().readTree(members.get("V01_S" + S1 + "_I0001_Pp-b.json"));
        assertEquals("server", ben.path("audio").path("source").asText(), ben.toString());
        assertTrue(ben.path("backupAudio").isNull(), ben.toString());

        JsonNode manifest = ProtocolCodec.mapper().readTree(dir.resolve("manifest.json").toFile());
        Map<String, String> sha = new HashMap<>();
        manifest.path("members").forEach(m -> sha.put(m.path("name").asText(), m.path("sha256").asText()));
        Map<String, Group> rows = new HashMap<>();
        for (Group row : readParquet(dir.resolve("tables/samples.parquet"))) {
            rows.put(row.getString("key", 0), row);
        }
        Group ana = rows.get(key);
        assertEquals("local", ana.getString("audio_source", 0));
        assertEquals(-200_000, ana.getLong("align_offset_us", 0));
        assertEquals(1.5, ana.getDouble("align_drift_ppm", 0));
        assertEquals(900, ana.getLong("align_error_us", 0));
        assertEquals(recordedLocal, ana.getLong("recorded_frames", 0));
        assertTrue(ana.getBoolean("has_backup_audio", 0));
        assertEquals(frames, ana.getLong("backup_recorded_frames", 0));
        assertEquals(-23_456, ana.getLong("backup_offset_us", 0));
        assertEquals(sha.get(key + ".wav"), ana.getString("wav_sha256", 0));
        assertEquals(sha.get(key + ".backup.wav"), ana.getString("backup_wav_sha256", 0));
        Group benRow = rows.get("V01_S" + S1 + "_I0001_Pp-b");
        assertEquals("server", benRow.getString("audio_source", 0));
        assertFalse(benRow.getBoolean("has_backup_audio", 0));
        assertEquals(0, benRow.getFieldRepetitionCount("align_offset_us"));
        assertTrue(Files.readString(dir.resolve("README.md")).contains("<key>.backup.wav"));

        ManifestVerifier.Report ok = ManifestVerifier.verify(dir, null);
        assertTrue(ok.ok(), ok.problems().toString());
        assertEquals(17, ok.membersChecked());
    }

    @Test
    void recordedVideoFramesOfTheInteractionAreExportedVerifiedAndWithdrawn() throws Exception {
        // p-a's camera: images every 0.5 s from 0.5 s to 5.0 s; scene 1 is [1.0 s, 5.0 s), scene 2 starts at 6 s
        long t = ScriptedSessions.T0;
        List<Path> jpgs = ScriptedSessions.writeVideo(data.resolve("sessions").resolve(S1).resolve("media"), "p-a",
                t + 500_000, 500_000, 10, t + 2_250_000);
        SeamlessExport.Result r = exporter.export(request(List.of(S1), Set.of(), 0), outs.resolve("v1"),
                SeamlessExport.Progress.none());
        Path dir = r.dir();
        Path shard = dir.resolve("shards/improv-000000.tar");
        String key = "V01_S" + S1 + "_I0001_Pp-a";
        Map<String, byte[]> members = new java.util.LinkedHashMap<>();
        try (TarFile tar = new TarFile(shard)) {
            for (TarArchiveEntry e : tar.getEntries()) {
                members.put(e.getName(), tar.getInputStream(e).readAllBytes());
            }
        }
        assertEquals(List.of(key + ".json", key + ".wav", key + ".vad.jsonl", key + ".turns.jsonl",
                key + ".frames.tar", key + ".video.jsonl"), members.keySet().stream().filter(n -> n.startsWith(key + "."))
                .toList());
        for (String other : List.of("_I0002_Pp-a", "_I0001_Pp-b", "_I0002_Pp-b")) {
            assertFalse(members.containsKey("V01_S" + S1 + other + ".frames.tar"), other);
            assertFalse(members.containsKey("V01_S" + S1 + other + ".video.jsonl"), other);
        }

        // the frames tar: images 1..8 (1.0 s to 4.5 s; 0.5 s is before the scene, 5.0 s is its end), bytes as stored
        List<String> inner = new ArrayList<>();
        try (org.apache.commons.compress.archivers.tar.TarArchiveInputStream tar =
                     new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                             new java.io.ByteArrayInputStream(members.get(key + ".frames.tar")))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                byte[] body = tar.readAllBytes();
                int n = inner.size();
                inner.add(e.getName());
                assertTrue(java.util.Arrays.equals(Files.readAllBytes(jpgs.get(n + 1)), body), e.getName());
                assertEquals(16, javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(body)).getWidth());
            }
        }
        assertEquals(List.of("0.jpg", "1.jpg", "2.jpg", "3.jpg", "4.jpg", "5.jpg", "6.jpg", "7.jpg"), inner);
        List<JsonNode> index = new ArrayList<>();
        for (String line : new String(members.get(key + ".video.jsonl"), java.nio.charset.StandardCharsets.UTF_8)
                .split("\n")) {
            index.add(ProtocolCodec.mapper().readTree(line));
        }
        assertEquals(8, index.size());
        for (int i = 0; i < 8; i++) {
            assertEquals(i, index.get(i).path("frame").asInt());
            assertEquals(i + ".jpg", index.get(i).path("file").asText());
            assertEquals(i * 500_000L, index.get(i).path("offsetUs").asLong(), index.get(i).toString());
            assertEquals(16, index.get(i).path("width").asInt());
            assertEquals(12, index.get(i).path("height").asInt());
            assertEquals("p-a.video/" + (i + 1) + ".jpg", index.get(i).path("source").asText());
        }
        JsonNode video = ProtocolCodec.mapper().readTree(members.get(key + ".json")).path("video");
        assertEquals(8, video.path("frames").asInt(), video.toString());
        assertEquals(key + ".frames.tar", video.path("file").asText());
        assertEquals(key + ".video.jsonl", video.path("index").asText());
        assertEquals(1, video.path("missingInRecording").asInt()); // the index line at 2.25 s has no image
        assertTrue(ProtocolCodec.mapper().readTree(members.get("V01_S" + S1 + "_I0002_Pp-a.json")).path("video")
                .isNull());

        // the manifest lists the frames tar, the index, and every image with its sha256 and PROV entity
        JsonNode manifest = ProtocolCodec.mapper().readTree(dir.resolve("manifest.json").toFile());
        JsonNode framesEntry = null;
        for (JsonNode m : manifest.path("members")) {
            String name = m.path("name").asText();
            assertEquals(SeamlessExport.sha256(members.get(name)), m.path("sha256").asText(), name);
            if (name.equals(key + ".frames.tar")) {
                framesEntry = m;
            }
        }
        assertEquals(members.size(), manifest.path("members").size());
        assertNotNull(framesEntry);
        assertEquals(8, framesEntry.path("frames").size());
        for (int i = 0; i < 8; i++) {
            assertEquals(SeamlessExport.sha256(jpgs.get(i + 1)), framesEntry.path("frames").get(i).path("sha256")
                    .asText());
        }
        JsonNode entities = manifest.path("prov").path("entity");
        assertTrue(entities.has("improv:file/improv-000000.tar/" + key + ".video.jsonl"));
        assertEquals(SeamlessExport.sha256(jpgs.get(4)), entities.path("improv:file/improv-000000.tar/" + key
                + ".frames.tar/3.jpg").path("improv:sha256").asText());
        assertTrue(manifest.path("prov").path("hadMember").toString().contains(key + ".frames.tar/7.jpg"));
        assertTrue(manifest.path("euTrainingContentSummary").path("modalities").toString().contains("video"));
        assertEquals(8, manifest.path("euTrainingContentSummary").path("videoFrames").asInt());

        // samples.parquet: has_video / video_frames per row; Croissant and card name the new fields
        for (Group row : readParquet(dir.resolve("tables/samples.parquet"))) {
            boolean withVideo = row.getString("key", 0).equals(key);
            assertEquals(withVideo, row.getBoolean("has_video", 0), row.getString("key", 0));
            assertEquals(withVideo ? 8 : 0, row.getLong("video_frames", 0));
        }
        String croissant = Files.readString(dir.resolve("croissant.json"));
        assertTrue(croissant.contains("\"samples/has_video\"") && croissant.contains("\"samples/video_frames\"")
                && croissant.contains("frames.tar"), croissant);
        assertTrue(Files.readString(dir.resolve("README.md")).contains("| video | 8 JPEG frames"));
        ManifestVerifier.Report ok = ManifestVerifier.verify(dir, null);
        assertTrue(ok.ok(), ok.problems().toString());

        // one flipped byte in image 3 (the recorder's 4.jpg) is named by the verify command
        byte[] shardBytes = Files.readAllBytes(shard);
        byte[] victim = Files.readAllBytes(jpgs.get(4));
        int at = indexOf(shardBytes, victim);
        assertTrue(at > 0);
        shardBytes[at + victim.length / 2] ^= 0x01;
        Files.write(shard, shardBytes);
        ManifestVerifier.Report bad = ManifestVerifier.verify(dir, null);
        assertEquals("shards/improv-000000.tar/" + key + ".frames.tar/3.jpg", bad.firstChanged(),
                bad.problems().toString());
        java.io.StringWriter out = new java.io.StringWriter();
        assertEquals(1, dev.improv.server.cli.OperatorCli.run(new java.io.PrintWriter(out),
                new java.io.PrintWriter(out), "dataset", "verify", shard.toString()), out.toString());
        assertTrue(out.toString().contains("CHANGED: shards/improv-000000.tar/" + key + ".frames.tar/3.jpg"),
                out.toString());

        // withdrawn: the performer's frames leave later exports with their audio
        new Withdrawals(data).withdraw("p-a", Set.of(ConsentScope.TRAINING), "admin", null, 7L);
        SeamlessExport.Result after = exporter.export(request(List.of(S1), Set.of(), 0), outs.resolve("v2"),
                SeamlessExport.Progress.none());
        assertEquals(2, after.samples());
        try (TarFile tar = new TarFile(after.dir().resolve("shards/improv-000000.tar"))) {
            for (TarArchiveEntry e : tar.getEntries()) {
                assertFalse(e.getName().contains("_Pp-a.") || e.getName().endsWith(".frames.tar"), e.getName());
            }
        }
        assertFalse(Files.readString(after.dir().resolve("manifest.json")).contains(".jpg"));
        assertTrue(ManifestVerifier.verify(after.dir(), null).ok());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void verifyNamesTheFirstChangedFileOfAShard() throws Exception {
        SeamlessExport.Result r = exporter.export(request(List.of(S1), Set.of(), 0), outs.resolve("e1"),
                SeamlessExport.Progress.none());
        Path shard = r.dir().resolve("shards/improv-000000.tar");
        String victim = "V01_S" + S1 + "_I0002_Pp-b.wav";
        long offset;
        try (TarFile tar = new TarFile(shard)) {
            offset = tar.getEntries().stream().filter(e -> e.getName().equals(victim)).findFirst().orElseThrow()
                    .getDataOffset() + 1000;
        }
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
        ManifestVerifier.Report bad = ManifestVerifier.verify(shard, r.dir().resolve("signing-key.pub"));
        assertFalse(bad.ok());
        assertEquals("shards/improv-000000.tar/" + victim, bad.firstChanged(), bad.problems().toString());
        java.io.StringWriter out = new java.io.StringWriter();
        int exit = dev.improv.server.cli.OperatorCli.run(new java.io.PrintWriter(out), new java.io.PrintWriter(out),
                "dataset", "verify", shard.toString());
        assertEquals(1, exit, out.toString());
        assertTrue(out.toString().contains("CHANGED: shards/improv-000000.tar/" + victim), out.toString());

        // a changed manifest fails its signature
        Path m = r.dir().resolve("manifest.json");
        Files.writeString(m, Files.readString(m).replace("\"exporterVersion\" : \"test-exporter\"",
                "\"exporterVersion\" : \"forged\""));
        assertEquals("manifest.json", ManifestVerifier.verify(r.dir(), null).firstChanged());
    }

    @Test
    void aWithdrawalLeavesThePerformerOutOfLaterExportsOnly() throws Exception {
        SeamlessExport.Result before = exporter.export(request(List.of(), Set.of(), 0), outs.resolve("before"),
                SeamlessExport.Progress.none());
        byte[] beforeManifest = Files.readAllBytes(before.dir().resolve("manifest.json"));
        new Withdrawals(data).withdraw("p-b", Set.of(ConsentScope.TRAINING), "admin", "changed my mind", 5L);

        SeamlessExport.Result after = exporter.export(request(List.of(), Set.of(), 0), outs.resolve("after"),
                SeamlessExport.Progress.none());
        assertEquals(2, after.samples());
        JsonNode manifest = ProtocolCodec.mapper().readTree(after.dir().resolve("manifest.json").toFile());
        manifest.path("members").forEach(m -> assertFalse(m.path("name").asText().contains("_Pp-b."), m.toString()));
        assertTrue(manifest.path("excluded").toString().contains("\"V01_S" + S1 + "_I0001_Pp-b\",\"reason\":\"withdrawn\""),
                manifest.path("excluded").toString());
        List<String> listedWithdrawals = Files.readAllLines(after.dir().resolve("withdrawals.jsonl"));
        assertEquals(1, listedWithdrawals.size());
        assertTrue(listedWithdrawals.get(0).contains("\"pid\":\"p-b\""));
        // the earlier export is untouched and still verifies
        assertEquals(new String(beforeManifest), Files.readString(before.dir().resolve("manifest.json")));
        assertTrue(ManifestVerifier.verify(before.dir(), null).ok());
        assertTrue(ManifestVerifier.verify(after.dir(), null).ok());

        // a text that says "interaction" takes the partner's files of those takes out too
        ScriptedSessions.write(data, "20251203T000000Z-room2-bbbb", 1, "pool-fr", 2, 12);
        new Withdrawals(data).withdraw("p-a", Set.of(), "performer", null, 6L);
        SeamlessExport.Result fr = exporter.export(request(List.of("20251203T000000Z-room2-bbbb"), Set.of(), 0),
                outs.resolve("fr"), SeamlessExport.Progress.none());
        assertEquals(0, fr.samples());
        assertTrue(Files.readString(fr.dir().resolve("manifest.json")).contains("withdrawn_interaction"));
    }

    @Test
    void shardsAreBoundedAndFiltersSelect() throws Exception {
        ScriptedSessions.write(data, "20251210T000000Z-room3-cccc", 8, "pool-fr", 1, 12);
        ExportRequest small = new ExportRequest(List.of(), Set.of("pool-en"), null, null, null, "01", 600_000,
                List.of(), null);
        SeamlessExport.Result r = exporter.export(small, outs.resolve("small"), SeamlessExport.Progress.none());
        assertEquals(1, r.sessions());
        assertEquals(4, r.shards()); // a sample is ~385 kB of audio: one per shard at 600 kB
        try (Stream<Path> shards = Files.list(r.dir().resolve("shards"))) {
            for (Path s : shards.toList()) {
                assertTrue(Files.size(s) <= 600_000, s + " is " + Files.size(s));
            }
        }
        ExportRequest dates = new ExportRequest(List.of(), Set.of(), LocalDate.parse("2025-12-05"), null, null, null,
                0, List.of(), null);
        assertEquals(List.of("20251210T000000Z-room3-cccc"), exporter.select(dates));
    }

    @Test
    void badInputIsRefusedNamingTheField() throws Exception {
        assertEquals("sessions", assertThrows(ExportException.class, () -> exporter.export(
                request(List.of("nope"), Set.of(), 0), outs.resolve("x"), SeamlessExport.Progress.none())).field());
        assertEquals("pools", assertThrows(ExportException.class, () -> exporter.select(
                request(List.of(), Set.of("no-such-pool"), 0))).field());
        assertEquals("from", assertThrows(ExportException.class, () -> new ExportRequest(null, null,
                LocalDate.parse("2025-12-09"), LocalDate.parse("2025-12-01"), null, null, 0, null, null)).field());
        ExportException none = assertThrows(ExportException.class, () -> exporter.select(new ExportRequest(null, null,
                LocalDate.parse("2030-01-01"), null, null, null, 0, null, null)));
        assertTrue(none.getMessage().startsWith("nothing to export"), none.getMessage());
        Withdrawals many = new Withdrawals(data);
        for (int i = 0; i < Withdrawals.MAX_PER_PARTICIPANT; i++) {
            many.withdraw("p-flood", Set.of(ConsentScope.SYNTHETIC_VOICE), "performer", null, i);
        }
        assertThrows(IllegalStateException.class, () -> many.withdraw("p-flood", Set.of(), "performer", null, 99));
        assertEquals(Withdrawals.MAX_PER_PARTICIPANT, many.of("p-flood").size());
        IllegalArgumentException scope = assertThrows(IllegalArgumentException.class,
                () -> ConsentScope.parse("mining"));
        assertTrue(scope.getMessage().contains("unknown consent scope 'mining'"));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldErr = System.err;
        int exit;
        try {
            System.setErr(new java.io.PrintStream(err, true));
            exit = new picocli.CommandLine(new dev.improv.server.eventlog.ExportCommand()).execute("--data-dir",
                    data.toString(), "--format", "webdataset", "--scope", "mining", "--out", outs.resolve("y").toString());
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(1, exit);
        assertTrue(err.toString().contains("--scope: unknown consent scope 'mining'"), err.toString());
        Files.createDirectories(outs.resolve("taken"));
        assertEquals("out", assertThrows(ExportException.class, () -> exporter.export(request(List.of(), Set.of(), 0),
                outs.resolve("taken"), SeamlessExport.Progress.none())).field());
        assertFalse(Files.exists(outs.resolve("x")));
    }

    @Test
    void aFullDiskLeavesNoExportThatLooksComplete() throws Exception {
        Path mount = Files.createTempDirectory("improv-full-" + ProcessHandle.current().pid());
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(p.waitFor() == 0, "needs root to mount a small tmpfs");
        try {
            ExportException e = assertThrows(ExportException.class, () -> exporter.export(request(List.of(), Set.of(),
                    0), mount.resolve("full"), SeamlessExport.Progress.none()));
            assertTrue(e.getMessage().contains("nothing was kept") && e.getMessage().contains("No space left"),
                    e.getMessage());
            try (Stream<Path> left = Files.list(mount)) {
                assertEquals(List.of(), left.toList());
            }
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
            Files.deleteIfExists(mount);
        }
    }

    public static List<Group> readParquet(Path file) throws IOException {
        List<Group> out = new ArrayList<>();
        try (ParquetFileReader r = new ParquetFileReader(new LocalInputFile(file),
                ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            for (PageReadStore pages = r.readNextRowGroup(); pages != null; pages = r.readNextRowGroup()) {
                RecordReader<Group> rows = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages,
                        new GroupRecordConverter(schema));
                for (long i = 0; i < pages.getRowCount(); i++) {
                    out.add(rows.read());
                }
            }
        }
        return out;
    }
}
