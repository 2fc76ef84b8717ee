package dev.improv.server.dataset;

import static dev.improv.server.dataset.ParquetTable.bool;
import static dev.improv.server.dataset.ParquetTable.float64;
import static dev.improv.server.dataset.ParquetTable.int64;
import static dev.improv.server.dataset.ParquetTable.string;
import static dev.improv.server.dataset.SeamlessExport.map;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an export says about itself: the Parquet tables' columns, the Hugging Face dataset card ({@code README.md}
 * with its YAML header), the Croissant JSON-LD file with its Responsible-AI fields, and the answers to the EU AI
 * Act training-content summary template that the server knows. Pure.
 */
final class DatasetDocs {
    private DatasetDocs() {
    }

    static final List<ParquetTable.Column> SESSION_COLUMNS = List.of(string("session_id"),
            string("source_session_id"), int64("started_at_us"), int64("ended_at_us"), string("server_version"),
            int64("protocol_version"), int64("log_events"), int64("interactions"), string("pools"));
    static final List<ParquetTable.Column> INTERACTION_COLUMNS = List.of(string("interaction_id"),
            string("session_id"), int64("scene"), string("title"), int64("start_us"), int64("end_us"),
            float64("duration_s"), int64("start_seq"), int64("end_seq"), string("lead_in_prompt"),
            string("prompts_json"), int64("samples"));
    static final List<ParquetTable.Column> PARTICIPANT_COLUMNS = List.of(string("participant_id"),
            string("session_id"), string("pool"), int64("consent_version"), string("consent_scopes"),
            int64("consent_accepted_at_ms"), int64("consent_log_seq"));
    static final List<ParquetTable.Column> SAMPLE_COLUMNS = List.of(string("key"), string("shard"),
            string("session_id"), string("interaction_id"), string("participant_id"), int64("scene"),
            int64("start_us"), int64("end_us"), float64("duration_s"), bool("has_audio"), int64("audio_frames"),
            int64("recorded_frames"), string("vad_source"), int64("turns"), int64("speech_segments"),
            int64("consent_version"), string("consent_scopes"), bool("training"), bool("synthetic_voice"),
            bool("commercial_use"), string("wav_sha256"), float64("speech_ratio"), float64("overlap_ratio"),
            float64("longest_silence_s"), float64("speaking_balance"), int64("turn_gap_median_ms"), string("qc_flags"),
            int64("turn_gap_p90_ms"), int64("turn_gaps"), float64("muted_s"), int64("reconnects"),
            string("qc_live_flags"), bool("has_video"), int64("video_frames"), string("audio_source"),
            int64("align_offset_us"), float64("align_drift_ppm"), int64("align_error_us"), bool("has_backup_audio"),
            string("backup_wav_sha256"), int64("backup_recorded_frames"), int64("backup_offset_us"));

    /** The numbers the card, the Croissant file and the manifest share. Times in server µs. */
    record Summary(String exportId, ExportRequest request, int sessions, int interactions, int samples, int shards,
                   long shardBytes, double audioHours, long firstStartUs, long lastEndUs, int withdrawals,
                   String exporterVersion, long videoFrames) {
        String from() {
            return sessions == 0 ? null : Instant.ofEpochMilli(firstStartUs / 1000).toString();
        }

        String to() {
            return sessions == 0 ? null : Instant.ofEpochMilli(lastEndUs / 1000).toString();
        }
    }

    static String sizeCategory(int n) {
        if (n < 1_000) {
            return "n<1K";
        }
        if (n < 10_000) {
            return "1K<n<10K";
        }
        if (n < 100_000) {
            return "10K<n<100K";
        }
        return n < 1_000_000 ? "100K<n<1M" : "1M<n<10M";
    }

    static String card(Summary s) {
        ExportRequest r = s.request();
        StringBuilder b = new StringBuilder();
        b.append("---\n");
        b.append("license: ").append(r.license()).append('\n');
        if ("other".equals(r.license())) {
            b.append("license_name: improv-performer-consent\n");
            b.append("license_link: LICENSE.md\n");
        }
        b.append("pretty_name: Improvised dyadic scenes (export ").append(s.exportId(), 0, 8).append(")\n");
        b.append("task_categories:\n- voice-activity-detection\n- audio-classification\n"
                + "- automatic-speech-recognition\n");
        b.append("tags:\n- webdataset\n- conversational-speech\n- turn-taking\n- improvisation\n");
        b.append("size_categories:\n- ").append(sizeCategory(s.samples())).append('\n');
        if (!r.languages().isEmpty()) {
            b.append("language:\n");
            r.languages().forEach(l -> b.append("- ").append(l).append('\n'));
        }
        b.append("configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: shards/*.tar\n");
        b.append("- config_name: samples\n  data_files:\n  - split: train\n    path: tables/samples.parquet\n");
        b.append("---\n\n");
        b.append("# Improvised scenes, recorded live\n\n");
        b.append("Pairs of performers improvising short scenes on prompts pushed live by a moderator, recorded by the\n"
                + "improv room server (exporter ").append(s.exporterVersion()).append("). Layout of Meta's Seamless "
                + "Interaction dataset: one sample per performer and interaction (scene), key "
                + "`V<vendor>_S<session>_I<interaction>_P<participant>`.\n\n");
        b.append("| | |\n|---|---|\n");
        b.append("| sessions | ").append(s.sessions()).append(" |\n");
        b.append("| interactions | ").append(s.interactions()).append(" |\n");
        b.append("| samples (performer × interaction) | ").append(s.samples()).append(" |\n");
        b.append("| audio | ").append(String.format("%.2f", s.audioHours())).append(" h, 48 kHz mono 16-bit WAV |\n");
        b.append("| video | ").append(s.videoFrames()).append(" JPEG frames (the recorder's image sequences, as "
                + "stored; samples without video have none) |\n");
        b.append("| shards | ").append(s.shards()).append(" WebDataset tar files, ").append(s.shardBytes())
                .append(" bytes, at most ").append(r.shardBytes()).append(" bytes each |\n");
        b.append("| recorded | ").append(s.from()).append(" to ").append(s.to()).append(" |\n");
        b.append("| licensed for | ").append(String.join(", ", r.scopes().stream().sorted()
                .map(ConsentScope::wireName).toList())).append(" |\n\n");
        b.append("## Files of a sample\n\n");
        b.append("- `<key>.wav`: the performer's own microphone, cut to the interaction (silence where nothing was "
                + "recorded; `recorded_frames` in the samples table says how much was): the **local take** recorded in "
                + "the performer's browser where there is one (`audio_source` `local`; its placement on the server "
                + "timeline in `align_offset_us`, `align_drift_ppm`, `align_error_us` and the sample's `audio.alignment`), "
                + "else the server's recording of what the network delivered (`server`)\n");
        b.append("- `<key>.backup.wav` (only next to a local take that the server also recorded): the server's "
                + "recording of the same interaction, cut the same way (`has_backup_audio`)\n");
        b.append("- `<key>.vad.jsonl`: voice activity at 100 Hz, `{\"frame\",\"t\",\"voiced\",\"db\"}` (`voiced` null "
                + "where no audio was recorded)\n");
        b.append("- `<key>.turns.jsonl`: turns (the performer's own marks) and speech segments, times in seconds from "
                + "the interaction start and in server microseconds\n");
        b.append("- `<key>.frames.tar` (only when the performer's video was recorded): the recorder's JPEG images "
                + "captured inside the interaction, bytes as stored, named `0.jpg`, `1.jpg`, … in capture order; "
                + "`has_video` / `video_frames` in the samples table\n");
        b.append("- `<key>.video.jsonl` (with the frames): one line per image, `{\"frame\",\"file\",\"offsetUs\","
                + "\"t\",\"width\",\"height\",\"rotation\",\"serverUs\",\"stream\",\"source\"}`, `offsetUs` from the "
                + "interaction start (images are not evenly spaced: use the time, not the number)\n");
        b.append("- `<key>.json`: ids, prompts, consent, permissions and provenance of the sample, `video` (null "
                + "without frames)\n\n");
        b.append("Tables (Parquet): `tables/sessions.parquet`, `interactions.parquet` (prompts), `participants.parquet` "
                + "(consent per performer and session), `samples.parquet` (one row per sample, with its shard).\n\n");
        b.append("## Loading\n\n```python\nfrom datasets import load_dataset\n"
                + "ds = load_dataset(\"webdataset\", data_files={\"train\": \"shards/*.tar\"}, split=\"train\")\n"
                + "meta = load_dataset(\"parquet\", data_files=\"tables/samples.parquet\", split=\"train\")\n"
                + "# or: import webdataset as wds; wds.WebDataset(\"shards/improv-{000000..")
                .append(String.format("%06d", Math.max(0, s.shards() - 1))).append("}.tar\")\n"
                + "# video: a sample's frames.tar is bytes; open it with tarfile\n"
                + "import io, tarfile\n"
                + "frames = tarfile.open(fileobj=io.BytesIO(sample[\"frames.tar\"]))  # 0.jpg, 1.jpg, ...\n```\n\n");
        b.append("## Consent, permissions and withdrawals\n\n");
        b.append("Every performer in this export agreed to a versioned consent text whose scopes include every use "
                + "listed above, and had withdrawn none of them when it was made. Each sample's `.json` and the samples "
                + "table carry machine-readable permissions (`training`, `synthetic_voice`, `commercial_use`). "
                + "`withdrawals.jsonl` lists every withdrawal known at export time (").append(s.withdrawals())
                .append("): holders of earlier exports must remove the named performers' files for the withdrawn "
                + "uses.\n\n");
        b.append("## Provenance and verification\n\n");
        b.append("`manifest.json` lists the sha256 of every file and every shard member and holds a W3C PROV chain "
                + "(performer → consent → session → prompt → take → file, with server versions and log positions). It is "
                + "signed with Ed25519 (`manifest.json.sig`, key `signing-key.pub`; ask the studio for the key's "
                + "fingerprint). Verify offline: `java -jar improv-server.jar dataset verify <folder or shard>`.\n\n");
        b.append("## Personal information\n\n");
        b.append("Voices and faces (video frames) are personal data. Display names are not exported; participant ids are the studio's "
                + "pseudonymous ids. Prompts are the moderators' own text.\n\n");
        b.append("## Licence\n\nCommercially licensed from the performers under their consent texts; see "
                + "`participants.parquet` for the version each performer agreed to.\n");
        return b.toString();
    }

    /** {@code LICENSE.md}: the terms the card links to — the consent texts the exported performers agreed to. */
    static String licence(Summary s, List<ConsentTexts.ConsentText> texts) {
        StringBuilder b = new StringBuilder("# Licence\n\n");
        b.append("The recordings in this export are commercially licensed from the performers, each under the consent "
                + "text they agreed to (its version is in `tables/participants.parquet` and in every sample's `.json`). "
                + "This export is licensed for: ").append(String.join(", ", s.request().scopes().stream().sorted()
                .map(ConsentScope::wireName).toList())).append(". Uses outside a sample's `permissions` are not "
                + "licensed. Withdrawals (`withdrawals.jsonl`, and those listed by later exports) end the licence for "
                + "the uses withdrawn.\n");
        for (ConsentTexts.ConsentText t : texts) {
            b.append("\n## Consent text version ").append(t.version()).append("\n\nScopes: ")
                    .append(t.scopes().isEmpty() ? "none" : String.join(", ", t.scopes()))
                    .append(". On withdrawal: ").append(t.onWithdrawal().equals(ConsentTexts.ON_WITHDRAWAL_INTERACTION)
                            ? "the whole interaction leaves later exports" : "the performer's files leave later exports")
                    .append(".\n\n");
            for (String line : t.text().split("\n", -1)) {
                b.append("> ").append(line).append('\n');
            }
        }
        return b.toString();
    }

    static Map<String, Object> euSummary(Summary s) {
        List<String> modalities = new ArrayList<>(List.of("audio", "text (prompts)",
                "time series (voice activity, turns)"));
        if (s.videoFrames() > 0) {
            modalities.add("video (JPEG image sequences)");
        }
        return map("modalities", modalities, "samples", s.samples(), "audioHours", s.audioHours(),
                "videoFrames", s.videoFrames(), "bytes", s.shardBytes(),
                "collectionPeriod", map("from", s.from(), "to", s.to()),
                "sources", "recorded by the studio with consenting performers; commercially licensed from them; "
                        + "no publicly available or scraped data",
                "consentScopes", s.request().scopes().stream().sorted().map(ConsentScope::wireName).toList(),
                "personalData", s.videoFrames() > 0 ? "voice recordings and camera images of the performers; no names"
                        : "voice recordings of the performers; no names",
                "withdrawalsListed", s.withdrawals());
    }

    static Map<String, Object> croissant(Summary s, Map<String, String> tableSha256) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("@language", "en");
        ctx.put("@vocab", "https://schema.org/");
        ctx.put("sc", "https://schema.org/");
        ctx.put("cr", "http://mlcommons.org/croissant/");
        ctx.put("rai", "http://mlcommons.org/croissant/RAI/");
        ctx.put("dct", "http://purl.org/dc/terms/");
        ctx.put("conformsTo", "dct:conformsTo");
        ctx.put("citeAs", "cr:citeAs");
        ctx.put("column", "cr:column");
        ctx.put("data", Map.of("@id", "cr:data", "@type", "@json"));
        ctx.put("dataType", Map.of("@id", "cr:dataType", "@type", "@vocab"));
        ctx.put("extract", "cr:extract");
        ctx.put("field", "cr:field");
        ctx.put("fileObject", "cr:fileObject");
        ctx.put("fileSet", "cr:fileSet");
        ctx.put("includes", "cr:includes");
        ctx.put("recordSet", "cr:recordSet");
        ctx.put("source", "cr:source");
        ctx.put("key", "cr:key");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("@context", ctx);
        c.put("@type", "sc:Dataset");
        c.put("name", "improv-scenes-" + s.exportId().substring(0, 8));
        c.put("description", "Improvised two-performer scenes on live prompts: per performer and scene a 48 kHz "
                + "WAV, 100 Hz voice activity and turns, and where video was recorded the camera's JPEG frames "
                + "(<key>.frames.tar, indexed by <key>.video.jsonl), in WebDataset shards (Seamless Interaction "
                + "layout). Video frames in this export: " + s.videoFrames() + ".");
        c.put("conformsTo", List.of("http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"));
        c.put("license", s.request().license());
        c.put("version", "1.0.0");
        c.put("datePublished", Instant.now().toString().substring(0, 10));
        c.put("inLanguage", s.request().languages());
        List<Map<String, Object>> dist = new ArrayList<>();
        tableSha256.forEach((name, sha) -> dist.add(map("@type", "cr:FileObject", "@id", name + ".parquet",
                "name", name + ".parquet", "contentUrl", "tables/" + name + ".parquet",
                "encodingFormat", "application/x-parquet", "sha256", sha)));
        dist.add(map("@type", "cr:FileSet", "@id", "shards", "name", "shards", "encodingFormat", "application/x-tar",
                "includes", "shards/*.tar"));
        c.put("distribution", dist);
        List<Map<String, Object>> fields = new ArrayList<>();
        for (ParquetTable.Column col : SAMPLE_COLUMNS) {
            String type = switch (col.kind()) {
                case STRING -> "sc:Text";
                case LONG -> "sc:Integer";
                case DOUBLE -> "sc:Float";
                case BOOLEAN -> "sc:Boolean";
            };
            fields.add(map("@type", "cr:Field", "@id", "samples/" + col.name(), "name", col.name(), "dataType", type,
                    "source", map("fileObject", Map.of("@id", "samples.parquet"), "extract",
                            Map.of("column", col.name()))));
        }
        c.put("recordSet", List.of(map("@type", "cr:RecordSet", "@id", "samples", "name", "samples",
                "key", Map.of("@id", "samples/key"), "field", fields)));
        c.put("rai:dataCollection", "Live sessions on the studio's improv room server: performers matched in a "
                + "lobby, a moderator pushing prompts, each performer's microphone recorded in their own browser "
                + "(uploaded while the scene runs) and server-side (WebRTC, the backup), and every event timestamped "
                + "on one server timeline.");
        c.put("rai:dataCollectionType", List.of("Direct recording", "Crowdsourced (paid performers)"));
        c.put("rai:dataCollectionTimeframe", List.of(s.from(), s.to()));
        c.put("rai:dataCollectionRawData", "Per-performer 48 kHz WAV tracks, per-performer JPEG image sequences "
                + "(when video was recorded) and the session's event log.");
        c.put("rai:dataPreprocessingProtocol", "Tracks cut to scene boundaries on the server timeline; voice activity "
                + "from the recorder (energy-based, 10 ms frames) or from the performers' speaking marks.");
        c.put("rai:personalSensitiveInformation", "Voices and, where video was recorded, faces of identifiable "
                + "performers (biometric potential). No names; "
                + "pseudonymous participant ids. Content is improvised fiction on the moderator's prompts.");
        c.put("rai:dataUseCases", "Licensed for: " + String.join(", ", s.request().scopes().stream().sorted()
                .map(ConsentScope::wireName).toList()) + " (per-sample permissions in samples.parquet). Conversational "
                + "turn-taking, voice activity, dialogue modelling.");
        c.put("rai:dataLimitations", "Acted, improvised speech; small number of performers per pool; a track is "
                + "silence-filled where the recorder lost the stream.");
        c.put("rai:dataBiases", "Performers come from the studio's open calls; languages and accents follow its pools.");
        c.put("rai:dataSocialImpact", "Voice data can be used to imitate a performer: synthetic voice use needs its own "
                + "scope in the performer's consent.");
        c.put("rai:dataReleaseMaintenancePlan", "Withdrawals are listed in every later export (withdrawals.jsonl); "
                + "holders must remove withdrawn performers' files.");
        return c;
    }
}
