package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.improv.server.config.OwnerOnly;
import dev.improv.server.eventlog.DatasetBuilder;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionMeta;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes closed sessions as a dataset in the layout of Meta's Seamless Interaction dataset (docs/dataset.md):
 * one sample per performer and interaction (a scene), keyed {@code V<vendor>_S<session>_I<interaction>_P<participant>},
 * with {@code .wav} (48 kHz mono 16-bit, cut from the media recorder's track), {@code .vad.jsonl} (100 Hz),
 * {@code .turns.jsonl}, {@code .json} and, when video was recorded, {@code .frames.tar} (the recorder's JPEGs of the
 * interaction, as stored) with {@code .video.jsonl}, packed into WebDataset tar shards; Parquet tables of sessions,
 * interactions, participants and samples; a Hugging Face dataset card, a Croissant file, the withdrawal list, and
 * a manifest with every file's sha256 and the W3C PROV chain, signed with the server's Ed25519 key.
 *
 * <p>Consent decides what goes in: a performer is in only with a recorded consent whose text's scopes cover every
 * requested scope and no withdrawal of one of them; a withdrawal under a text that says {@code interaction} drops
 * the whole take. Everything is written into {@code <out>.partial-…} and renamed to {@code <out>} at the end: a
 * failed export (full disk, bad data) leaves no folder that looks complete. Streamed: a session's dataset view is
 * in memory (marks, not audio), audio and VAD are copied through. Blocking; run it on a thread of its own.
 */
public final class SeamlessExport {
    public static final int FORMAT_VERSION = 1;
    static final String MANIFEST = "manifest.json";
    static final String SIGNATURE = "manifest.json.sig";
    static final String PUBLIC_KEY = "signing-key.pub";
    static final String WITHDRAWALS = "withdrawals.jsonl";
    static final String SHARD_PREFIX = "improv";
    private static final ObjectMapper JSON = ProtocolCodec.mapper();
    private static final ObjectWriter PRETTY = JSON.writerWithDefaultPrettyPrinter();

    /** Told after every session; called on the export's thread. */
    @FunctionalInterface
    public interface Progress {
        void session(String sessionId, int done, int total, long bytesWritten);

        static Progress none() {
            return (id, done, total, bytes) -> { };
        }
    }

    /** What an export wrote. */
    public record Result(Path dir, String exportId, int sessions, int interactions, int samples, int shards,
                         long bytes, int excluded, String manifestSha256) {
    }

    private final SessionFiles files;
    private final Path dataDir;
    private final SessionArchive archive;
    private final ConsentTexts texts;
    private final Withdrawals withdrawals;
    private final SigningKey key;
    private final String exporterVersion;
    /** The thresholds of the export-time quality flags (the server's {@code --qc-*}; the defaults offline). */
    private final dev.improv.server.quality.QcThresholds qc;

    public SeamlessExport(Path dataDir, SessionArchive archive, String exporterVersion) throws IOException {
        this(dataDir, archive, exporterVersion, dev.improv.server.quality.QcThresholds.DEFAULTS);
    }

    public SeamlessExport(Path dataDir, SessionArchive archive, String exporterVersion,
                          dev.improv.server.quality.QcThresholds qc) throws IOException {
        this.qc = qc;
        this.files = new SessionFiles(dataDir);
        this.dataDir = dataDir;
        this.archive = archive;
        this.texts = new ConsentTexts(dataDir);
        this.withdrawals = new Withdrawals(dataDir);
        this.key = SigningKey.inDataDir(dataDir);
        this.exporterVersion = exporterVersion == null ? "unknown" : exporterVersion;
    }

    /** A performer's consent in one session, from its {@code consent} room event. */
    record Consent(String pid, String pool, int version, long acceptedAt, long seq) {
    }

    /** The facts of a session the dataset view does not carry: consents and the log's seq range. */
    record SessionFacts(SessionMeta meta, Map<String, Consent> consents, long firstSeq, long lastSeq, long events,
                        dev.improv.server.quality.SessionQuality quality) {
    }

    /** Checks the request against the data and lists the sessions it selects, in id order; no file is written. */
    public List<String> select(ExportRequest req) throws IOException {
        List<String> all = files.ids();
        for (String id : req.sessions()) {
            if (!archive.exists(id)) {
                throw new ExportException("sessions", "no session '" + id + "'");
            }
        }
        List<String> candidates = req.sessions().isEmpty() ? all : req.sessions().stream().sorted().distinct().toList();
        Set<String> poolsSeen = new LinkedHashSet<>();
        List<String> out = new ArrayList<>();
        for (String id : candidates) {
            SessionFacts f = facts(id);
            f.consents().values().forEach(c -> poolsSeen.add(c.pool()));
            if (f.meta() == null || f.meta().endedAt() == null) {
                if (!req.sessions().isEmpty()) {
                    throw new ExportException("sessions", "session '" + id + "' is still running: only closed "
                            + "sessions are exported");
                }
                continue;
            }
            LocalDate day = Instant.ofEpochMilli(f.meta().startedAt() / 1000).atZone(ZoneOffset.UTC).toLocalDate();
            if ((req.from() != null && day.isBefore(req.from())) || (req.to() != null && day.isAfter(req.to()))) {
                continue;
            }
            if (!req.pools().isEmpty() && f.consents().values().stream().noneMatch(c -> req.pools().contains(c.pool()))) {
                continue;
            }
            out.add(id);
        }
        for (String pool : req.pools()) {
            if (!poolsSeen.contains(pool) && req.sessions().isEmpty()) {
                throw new ExportException("pools", "no session was recorded in pool '" + pool + "'");
            }
        }
        if (out.isEmpty()) {
            throw new ExportException(req.from() != null || req.to() != null ? "from" : null,
                    "nothing to export: no closed session matches " + req.describe());
        }
        return out;
    }

    /** Exports into {@code out}, which must not exist yet (an export never replaces another). */
    public Result export(ExportRequest req, Path out, Progress progress) throws IOException {
        if (Files.exists(out)) {
            throw new ExportException("out", out + " exists; an export never overwrites another (choose a new folder)");
        }
        List<String> ids = select(req);
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String exportId = UUID.randomUUID().toString();
        Path work = parent.resolve(out.getFileName() + ".partial-" + exportId.substring(0, 8));
        OwnerOnly.createDirectories(work);
        try {
            Run run = new Run(req, work, exportId);
            int done = 0;
            for (String id : ids) {
                run.session(id);
                progress.session(id, ++done, ids.size(), run.shards.members().stream().mapToLong(m -> m.size()).sum());
            }
            Result r = run.finish();
            move(work, out);
            return new Result(out, r.exportId(), r.sessions(), r.interactions(), r.samples(), r.shards(), r.bytes(),
                    r.excluded(), r.manifestSha256());
        } catch (IOException | RuntimeException e) {
            deleteTree(work);
            if (e instanceof ExportException) {
                throw e;
            }
            throw new ExportException(null, "export into " + out + " failed, nothing was kept: " + e.getMessage(), e);
        }
    }

    SessionFacts facts(String id) throws IOException {
        SessionMeta meta = archive.meta(id).orElse(null);
        Map<String, Consent> consents = new LinkedHashMap<>();
        long[] range = {Long.MAX_VALUE, 0, 0};
        dev.improv.server.quality.SessionQuality quality = new dev.improv.server.quality.SessionQuality(qc);
        if (meta != null) {
            meta.participants().stream().filter(p -> p.role() == dev.improv.server.protocol.Role.PERFORMER)
                    .forEach(p -> quality.performer(p.id(), p.joinedAt()));
        }
        forEachEvent(id, node -> {
            quality.accept(node);
            long seq = node.path("seq").asLong();
            range[0] = Math.min(range[0], seq);
            range[1] = Math.max(range[1], seq);
            range[2]++;
            if ("consent".equals(node.path("type").asText())) {
                String pid = node.path("participant").asText(null);
                if (pid != null) {
                    consents.put(pid, new Consent(pid, node.path("pool").asText(null),
                            node.path("consentVersion").asInt(), node.path("acceptedAt").asLong(), seq));
                }
            }
        });
        return new SessionFacts(meta, consents, range[2] == 0 ? 0 : range[0], range[1], range[2], quality.finish());
    }

    @FunctionalInterface
    private interface EventSink {
        void event(JsonNode node) throws IOException;
    }

    /** Every event of a session, a chunk at a time (never the whole log in one array). */
    private void forEachEvent(String id, EventSink sink) throws IOException {
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        try (SessionArchive.LogStream log = archive.openLog(id)) {
            for (byte[] chunk = log.next(); chunk != null; chunk = log.next()) {
                int start = 0;
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        partial.write(chunk, start, i - start);
                        if (partial.size() > 0) {
                            sink.event(JSON.readTree(partial.toByteArray()));
                        }
                        partial.reset();
                        start = i + 1;
                    }
                }
                partial.write(chunk, start, chunk.length - start);
            }
        }
    }

    /** One export in progress. */
    private final class Run {
        final ExportRequest req;
        final Path work;
        final Path spool;
        final String exportId;
        final long startedAt = System.currentTimeMillis();
        final ShardWriter shards;
        final List<Withdrawals.Withdrawal> withdrawn;
        final Map<Integer, Optional<ConsentTexts.ConsentText>> textCache = new TreeMap<>();
        final List<Object[]> sessionRows = new ArrayList<>();
        final List<Object[]> interactionRows = new ArrayList<>();
        final List<Object[]> participantRows = new ArrayList<>();
        final List<Object[]> sampleRows = new ArrayList<>();
        final List<Map<String, Object>> excluded = new ArrayList<>();
        final Map<String, Map<String, Object>> memberInfo = new LinkedHashMap<>();
        final Prov prov = new Prov();
        long minStart = Long.MAX_VALUE;
        long maxEnd = Long.MIN_VALUE;
        long audioFrames;
        long videoFrames;
        int sessions;

        Run(ExportRequest req, Path work, String exportId) throws IOException {
            this.req = req;
            this.work = work;
            this.exportId = exportId;
            this.spool = Files.createDirectories(work.resolve(".spool"));
            Path shardDir = Files.createDirectories(work.resolve("shards"));
            this.shards = new ShardWriter(shardDir, SHARD_PREFIX, req.shardBytes());
            this.withdrawn = withdrawals.all();
            prov.agent("improv:software/" + exporterVersion, Map.of("prov:type", "prov:SoftwareAgent",
                    "improv:version", exporterVersion));
            prov.activity("improv:export/" + exportId, Map.of("prov:startTime", Instant.ofEpochMilli(startedAt).toString()));
            prov.relation("wasAssociatedWith", Map.of("prov:activity", "improv:export/" + exportId,
                    "prov:agent", "improv:software/" + exporterVersion));
        }

        Optional<ConsentTexts.ConsentText> text(int version) throws IOException {
            Optional<ConsentTexts.ConsentText> t = textCache.get(version);
            if (t == null) {
                t = texts.get(version);
                textCache.put(version, t);
            }
            return t;
        }

        /** Why {@code pid} is out of this export, or null when they are in. */
        String exclusion(Consent c) throws IOException {
            if (c == null) {
                return "no_consent";
            }
            Optional<ConsentTexts.ConsentText> t = text(c.version());
            if (t.isEmpty()) {
                return "consent_text_unknown";
            }
            for (ConsentScope s : req.scopes()) {
                if (!t.get().allows(s)) {
                    return "scope_not_granted:" + s.wireName();
                }
            }
            for (Withdrawals.Withdrawal w : withdrawn) {
                if (w.pid().equals(c.pid()) && req.scopes().stream().anyMatch(w::covers)) {
                    return "withdrawn";
                }
            }
            return null;
        }

        void session(String id) throws IOException {
            SessionFacts f = facts(id);
            DatasetBuilder.Dataset d = archive.dataset(id);
            String sKey = "V" + req.vendor() + "_S" + id;
            String serverVersion = f.meta().serverVersion();
            Path media = files.dir(id).resolve("media");
            Map<String, String> pKeys = participantKeys(d);
            minStart = Math.min(minStart, f.meta().startedAt());
            maxEnd = Math.max(maxEnd, f.meta().endedAt());
            String sessionEntity = "improv:session/" + id;
            prov.entity(sessionEntity, map("improv:serverVersion", serverVersion, "improv:logFirstSeq", f.firstSeq(),
                    "improv:logLastSeq", f.lastSeq(), "improv:startedAt", f.meta().startedAt(),
                    "improv:endedAt", f.meta().endedAt()));
            Map<String, String> consentEntity = new LinkedHashMap<>();
            for (Consent c : f.consents().values()) {
                String ce = "improv:consent/" + id + "/" + c.pid();
                String performer = "improv:performer/" + pKeys.getOrDefault(c.pid(), safe(c.pid()));
                prov.agent(performer, Map.of("prov:type", "prov:Person"));
                prov.entity(ce, map("improv:consentVersion", c.version(), "improv:pool", c.pool(),
                        "improv:acceptedAt", c.acceptedAt(), "improv:logSeq", c.seq(),
                        "improv:textSha256", text(c.version()).map(t -> sha256(t.text())).orElse(null)));
                prov.relation("wasAttributedTo", Map.of("prov:entity", ce, "prov:agent", performer));
                prov.relation("wasDerivedFrom", Map.of("prov:generatedEntity", sessionEntity, "prov:usedEntity", ce));
                consentEntity.put(c.pid(), ce);
            }
            int interactions = 0;
            Set<String> participantsIn = new LinkedHashSet<>();
            for (DatasetBuilder.Scene scene : d.scenes()) {
                String iKey = sKey + "_I" + String.format("%04d", scene.number());
                if (scene.endTs() == null) {
                    excluded.add(map("key", iKey, "reason", "scene_without_end"));
                    continue;
                }
                Map<String, String> reasons = new LinkedHashMap<>();
                boolean dropTake = false;
                for (DatasetBuilder.PerformerTrack t : scene.performers()) {
                    Consent c = f.consents().get(t.participant());
                    String why = exclusion(c);
                    reasons.put(t.participant(), why);
                    if ("withdrawn".equals(why) && text(c.version()).map(x -> ConsentTexts.ON_WITHDRAWAL_INTERACTION
                            .equals(x.onWithdrawal())).orElse(false)) {
                        dropTake = true;
                    }
                }
                if (dropTake) {
                    excluded.add(map("key", iKey, "reason", "withdrawn_interaction"));
                    continue;
                }
                String take = "improv:take/" + id + "/" + scene.number();
                prov.entity(take, map("improv:interaction", iKey, "improv:startSeq", scene.startSeq(),
                        "improv:endSeq", scene.endSeq(), "improv:startTs", scene.startTs(), "improv:endTs", scene.endTs()));
                prov.relation("wasDerivedFrom", Map.of("prov:generatedEntity", take, "prov:usedEntity", sessionEntity));
                List<DatasetBuilder.Prompt> prompts = new ArrayList<>();
                if (scene.leadInPrompt() != null) {
                    prompts.add(scene.leadInPrompt());
                }
                prompts.addAll(scene.prompts());
                for (DatasetBuilder.Prompt p : prompts) {
                    String pe = "improv:prompt/" + id + "/" + p.seq();
                    prov.entity(pe, map("improv:logSeq", p.seq(), "improv:textSha256", sha256(p.text())));
                    prov.relation("wasDerivedFrom", Map.of("prov:generatedEntity", pe, "prov:usedEntity", sessionEntity));
                    prov.relation("wasInfluencedBy", Map.of("prov:influencee", take, "prov:influencer", pe));
                }
                int samplesHere = 0;
                for (DatasetBuilder.PerformerTrack t : scene.performers()) {
                    String pKey = pKeys.get(t.participant());
                    String key = iKey + "_P" + pKey;
                    String why = reasons.get(t.participant());
                    if (why != null) {
                        excluded.add(map("key", key, "reason", why));
                        continue;
                    }
                    Consent c = f.consents().get(t.participant());
                    sample(id, key, sKey, iKey, pKey, scene, prompts, t, c, media, take, serverVersion,
                            f.quality().take(scene.number(), t.participant()),
                            LocalTake.find(dataDir, d.roomId(), id, scene.number(), t.participant()));
                    participantsIn.add(t.participant());
                    samplesHere++;
                }
                interactions++;
                interactionRows.add(new Object[] {iKey, sKey, (long) scene.number(), scene.title(), scene.startTs(),
                        scene.endTs(), (scene.endTs() - scene.startTs()) / 1e6, scene.startSeq(), scene.endSeq(),
                        scene.leadInPrompt() == null ? null : scene.leadInPrompt().text(),
                        JSON.writeValueAsString(scene.prompts().stream().map(p -> map("text", p.text(), "ts", p.ts(),
                                "seq", p.seq())).toList()), (long) samplesHere});
            }
            for (String pid : participantsIn) {
                Consent c = f.consents().get(pid);
                ConsentTexts.ConsentText t = text(c.version()).orElseThrow();
                participantRows.add(new Object[] {"P" + pKeys.get(pid), sKey, c.pool(), (long) c.version(),
                        String.join(",", t.scopes()), c.acceptedAt(), c.seq()});
            }
            sessionRows.add(new Object[] {sKey, id, f.meta().startedAt(), f.meta().endedAt(), serverVersion,
                    (long) f.meta().protocolVersion(), f.events(), (long) interactions,
                    f.consents().values().stream().map(Consent::pool).filter(java.util.Objects::nonNull).distinct()
                            .sorted().reduce((a, b) -> a + "," + b).orElse(null)});
            sessions++;
        }

        void sample(String id, String key, String sKey, String iKey, String pKey, DatasetBuilder.Scene scene,
                    List<DatasetBuilder.Prompt> prompts, DatasetBuilder.PerformerTrack t, Consent c, Path media,
                    String take, String serverVersion, dev.improv.server.quality.SessionQuality.Take quality,
                    LocalTake local) throws IOException {
            long start = scene.startTs();
            long end = scene.endTs();
            MediaTrack recorded = MediaTrack.find(media, t.participant());
            // the performer's own local take is the primary audio; the media recorder's track is then the backup
            MediaTrack audio = local != null ? local.audio() : recorded;
            MediaTrack backup = local != null ? recorded : null;
            String recorderFile = "sessions/" + id + "/media/" + t.participant() + ".wav";
            VideoFrames video = VideoFrames.find(media, t.participant());
            List<VideoFrames.Frame> shots = video == null ? List.of() : video.within(start, end);
            byte[] videoIndex = shots.isEmpty() ? null : VideoFrames.index(shots, start);
            long framesTarBytes = shots.isEmpty() ? 0 : VideoFrames.tarBytes(shots);
            ConsentTexts.ConsentText text = text(c.version()).orElseThrow();
            Map<String, Object> permissions = new LinkedHashMap<>();
            for (ConsentScope s : ConsentScope.values()) {
                boolean withdrawnHere = withdrawn.stream().anyMatch(w -> w.pid().equals(c.pid()) && w.covers(s));
                permissions.put(s.wireName(), text.allows(s) && !withdrawnHere);
            }
            Path vad = spool.resolve(key + ".vad.jsonl");
            String vadSource = writeVad(vad, recorded, t, start, end);
            Path turns = spool.resolve(key + ".turns.jsonl");
            int[] counts = writeTurns(turns, t, start);
            long frames = MediaTrack.frames(start, end);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("key", key);
            meta.put("formatVersion", FORMAT_VERSION);
            meta.put("vendor", req.vendor());
            meta.put("session", sKey);
            meta.put("interaction", iKey);
            meta.put("participant", "P" + pKey);
            meta.put("scene", scene.number());
            meta.put("title", scene.title());
            meta.put("startUs", start);
            meta.put("endUs", end);
            meta.put("durationS", (end - start) / 1e6);
            meta.put("prompts", prompts.stream().map(p -> map("text", p.text(), "offsetS", (p.ts() - start) / 1e6,
                    "seq", p.seq())).toList());
            meta.put("audio", audio == null ? null : map("file", key + ".wav", "sampleRate", MediaTrack.RATE,
                    "channels", 1, "bitsPerSample", 16, "frames", frames, "source", local != null ? "local" : "server",
                    "sourceFile", local != null ? local.source() : recorderFile,
                    "alignment", local != null ? local.alignment() : null));
            meta.put("backupAudio", backup == null ? null : map("file", key + ".backup.wav", "sampleRate",
                    MediaTrack.RATE, "channels", 1, "bitsPerSample", 16, "frames", frames, "source", "server",
                    "sourceFile", recorderFile));
            meta.put("video", shots.isEmpty() ? null : map("file", key + ".frames.tar", "index", key + ".video.jsonl",
                    "container", "tar", "format", "jpeg", "frames", shots.size(),
                    "firstOffsetUs", shots.get(0).serverUs() - start,
                    "lastOffsetUs", shots.get(shots.size() - 1).serverUs() - start,
                    "width", shots.get(0).width(), "height", shots.get(0).height(),
                    "missingInRecording", video.missing()));
            meta.put("vad", map("file", key + ".vad.jsonl", "frameMs", 10, "source", vadSource));
            meta.put("turns", map("file", key + ".turns.jsonl", "turns", counts[0], "speech", counts[1]));
            QualityColumns q = QualityColumns.of(quality);
            meta.put("quality", q.json());
            meta.put("consent", map("version", c.version(), "pool", c.pool(), "acceptedAt", c.acceptedAt(),
                    "scopes", text.scopes(), "logSeq", c.seq()));
            meta.put("permissions", permissions);
            meta.put("provenance", map("sourceSession", id, "logStartSeq", scene.startSeq(), "logEndSeq",
                    scene.endSeq(), "serverVersion", serverVersion, "exporterVersion", exporterVersion));
            byte[] json = PRETTY.writeValueAsBytes(meta);

            long sampleBytes = ShardWriter.entryBytes(key + ".json", json.length)
                    + ShardWriter.entryBytes(key + ".vad.jsonl", Files.size(vad))
                    + ShardWriter.entryBytes(key + ".turns.jsonl", Files.size(turns))
                    + (audio == null ? 0 : ShardWriter.entryBytes(key + ".wav", MediaTrack.sliceBytes(start, end)))
                    + (backup == null ? 0 : ShardWriter.entryBytes(key + ".backup.wav", MediaTrack.sliceBytes(start, end)))
                    + (shots.isEmpty() ? 0 : ShardWriter.entryBytes(key + ".frames.tar", framesTarBytes)
                            + ShardWriter.entryBytes(key + ".video.jsonl", videoIndex.length));
            shards.beginSample(sampleBytes);
            List<ShardWriter.Member> added = new ArrayList<>();
            added.add(shards.add(key + ".json", json.length, o -> o.write(json)));
            long[] recordedFrames = {0, 0};
            ShardWriter.Member wav = null;
            ShardWriter.Member backupWav = null;
            if (audio != null) {
                wav = shards.add(key + ".wav", MediaTrack.sliceBytes(start, end),
                        o -> recordedFrames[0] = audio.writeSlice(start, end, o));
                added.add(wav);
                audioFrames += frames;
            }
            if (backup != null) {
                backupWav = shards.add(key + ".backup.wav", MediaTrack.sliceBytes(start, end),
                        o -> recordedFrames[1] = backup.writeSlice(start, end, o));
                added.add(backupWav);
            }
            added.add(shards.add(key + ".vad.jsonl", Files.size(vad), o -> copy(vad, o)));
            added.add(shards.add(key + ".turns.jsonl", Files.size(turns), o -> copy(turns, o)));
            List<List<VideoFrames.Packed>> packed = new ArrayList<>(List.of(List.of()));
            if (!shots.isEmpty()) {
                added.add(shards.add(key + ".frames.tar", framesTarBytes,
                        o -> packed.set(0, VideoFrames.writeTar(shots, o))));
                added.add(shards.add(key + ".video.jsonl", videoIndex.length, o -> o.write(videoIndex)));
                videoFrames += shots.size();
            }
            Files.delete(vad);
            Files.delete(turns);
            for (ShardWriter.Member m : added) {
                String fe = "improv:file/" + m.shard() + "/" + m.name();
                prov.entity(fe, map("improv:sha256", m.sha256(), "improv:bytes", m.size()));
                prov.relation("wasDerivedFrom", Map.of("prov:generatedEntity", fe, "prov:usedEntity", take));
                prov.relation("wasGeneratedBy", Map.of("prov:entity", fe, "prov:activity", "improv:export/" + exportId));
                Map<String, Object> info = map("key", key, "permissions", permissions);
                if (m.name().endsWith(".frames.tar")) {
                    // every image of the frames tar: its own sha256 and PROV entity, a member of the tar's entity
                    List<Map<String, Object>> inner = new ArrayList<>();
                    for (VideoFrames.Packed p : packed.get(0)) {
                        inner.add(map("name", p.name(), "bytes", p.bytes(), "sha256", p.sha256(), "source", p.source()));
                        String pe = fe + "/" + p.name();
                        prov.entity(pe, map("improv:sha256", p.sha256(), "improv:bytes", p.bytes(),
                                "improv:recorderFile", p.source()));
                        prov.relation("hadMember", Map.of("prov:collection", fe, "prov:entity", pe));
                        prov.relation("wasDerivedFrom", Map.of("prov:generatedEntity", pe, "prov:usedEntity", take));
                    }
                    info.put("frames", inner);
                }
                memberInfo.put(m.shard() + "/" + m.name(), info);
            }
            sampleRows.add(new Object[] {key, shards.currentShard(), sKey, iKey, "P" + pKey, (long) scene.number(),
                    start, end, (end - start) / 1e6, audio != null, audio == null ? null : frames,
                    audio == null ? null : recordedFrames[0], vadSource, (long) counts[0], (long) counts[1],
                    (long) c.version(), String.join(",", text.scopes()), permissions.get("training"),
                    permissions.get("synthetic_voice"), permissions.get("commercial_use"),
                    wav == null ? null : wav.sha256(), q.speechRatio(), q.overlapRatio(), q.longestSilenceS(),
                    q.speakingBalance(), q.turnGapMedianMs(), q.flags(), q.turnGapP90Ms(), q.turnGaps(), q.mutedS(),
                    q.reconnects(), q.liveFlags(), !shots.isEmpty(), (long) shots.size(),
                    audio == null ? null : local != null ? "local" : "server", local == null ? null : local.offsetUs(),
                    local == null ? null : local.driftPpm(), local == null ? null : local.alignErrorUs(),
                    backup != null, backupWav == null ? null : backupWav.sha256(),
                    backup == null ? null : recordedFrames[1], local == null ? null : local.backupOffsetUs()});
        }

        Result finish() throws IOException {
            shards.close();
            Path tables = Files.createDirectories(work.resolve("tables"));
            writeTable(tables.resolve("sessions.parquet"), "sessions", DatasetDocs.SESSION_COLUMNS, sessionRows);
            writeTable(tables.resolve("interactions.parquet"), "interactions", DatasetDocs.INTERACTION_COLUMNS,
                    interactionRows);
            writeTable(tables.resolve("participants.parquet"), "participants", DatasetDocs.PARTICIPANT_COLUMNS,
                    participantRows);
            writeTable(tables.resolve("samples.parquet"), "samples", DatasetDocs.SAMPLE_COLUMNS, sampleRows);
            Path wd = work.resolve(WITHDRAWALS);
            if (Files.exists(withdrawals.file())) {
                Files.copy(withdrawals.file(), wd);
            } else {
                Files.createFile(wd);
            }
            Files.writeString(work.resolve(PUBLIC_KEY), key.publicPem());
            long bytes = shards.shards().stream().mapToLong(ShardWriter.Shard::bytes).sum();
            DatasetDocs.Summary summary = new DatasetDocs.Summary(exportId, req, sessions, interactionRows.size(),
                    sampleRows.size(), shards.shards().size(), bytes, audioFrames / (double) MediaTrack.RATE / 3600,
                    minStart, maxEnd, withdrawn.size(), exporterVersion, videoFrames);
            Map<String, String> tableSha = new LinkedHashMap<>();
            for (String t : List.of("sessions", "interactions", "participants", "samples")) {
                tableSha.put(t, sha256(tables.resolve(t + ".parquet")));
            }
            Files.writeString(work.resolve("croissant.json"), PRETTY.writeValueAsString(
                    DatasetDocs.croissant(summary, tableSha)));
            Files.writeString(work.resolve("README.md"), DatasetDocs.card(summary));
            List<ConsentTexts.ConsentText> used = new ArrayList<>();
            textCache.values().forEach(t -> t.ifPresent(used::add));
            Files.writeString(work.resolve("LICENSE.md"), DatasetDocs.licence(summary, used));
            deleteTree(spool);

            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("kind", "improv-dataset-manifest");
            manifest.put("formatVersion", FORMAT_VERSION);
            manifest.put("exportId", exportId);
            manifest.put("createdAt", Instant.ofEpochMilli(startedAt).toString());
            manifest.put("exporterVersion", exporterVersion);
            manifest.put("request", req.describe());
            manifest.put("signature", map("algorithm", "Ed25519", "file", SIGNATURE, "publicKey", PUBLIC_KEY,
                    "publicKeySha256", key.fingerprint()));
            List<Map<String, Object>> fileList = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(work)) {
                for (Path p : walk.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList()) {
                    String rel = work.relativize(p).toString().replace('\\', '/');
                    fileList.add(map("path", rel, "bytes", Files.size(p), "sha256", sha256(p)));
                }
            }
            manifest.put("files", fileList);
            manifest.put("shards", shards.shards().stream().map(s -> map("path", "shards/" + s.name(), "bytes",
                    s.bytes(), "sha256", s.sha256(), "members", s.members())).toList());
            List<Map<String, Object>> members = new ArrayList<>();
            for (ShardWriter.Member m : shards.members()) {
                Map<String, Object> e = map("shard", "shards/" + m.shard(), "name", m.name(), "bytes", m.size(),
                        "sha256", m.sha256());
                e.putAll(memberInfo.get(m.shard() + "/" + m.name()));
                members.add(e);
            }
            manifest.put("members", members);
            manifest.put("excluded", excluded);
            manifest.put("withdrawals", map("file", WITHDRAWALS, "count", withdrawn.size()));
            manifest.put("euTrainingContentSummary", DatasetDocs.euSummary(summary));
            prov.activityEnd("improv:export/" + exportId, Instant.now().toString());
            manifest.put("prov", prov.document());
            byte[] bytesOut = PRETTY.writeValueAsBytes(manifest);
            Files.write(work.resolve(MANIFEST), bytesOut);
            Files.writeString(work.resolve(SIGNATURE), Base64.getEncoder().encodeToString(key.sign(bytesOut)) + "\n");
            forceTree(work);
            return new Result(work, exportId, sessions, interactionRows.size(), sampleRows.size(),
                    shards.shards().size(), bytes, excluded.size(), sha256(bytesOut));
        }
    }

    /** Participant ids as they appear in keys: letters, digits and '-' only ('_' separates the id's parts). */
    static Map<String, String> participantKeys(DatasetBuilder.Dataset d) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> used = new LinkedHashSet<>();
        List<String> ids = new ArrayList<>();
        d.participants().forEach(p -> ids.add(p.id()));
        d.scenes().forEach(s -> s.performers().forEach(t -> {
            if (!ids.contains(t.participant())) {
                ids.add(t.participant());
            }
        }));
        for (String id : ids) {
            String base = safe(id);
            String k = base;
            for (int n = 2; !used.add(k); n++) {
                k = base + "-" + n;
            }
            out.put(id, k);
        }
        return out;
    }

    static String safe(String id) {
        String s = id == null ? "unknown" : id.replaceAll("[^A-Za-z0-9-]", "-");
        return s.isEmpty() ? "unknown" : s;
    }

    private static String writeVad(Path file, MediaTrack audio, DatasetBuilder.PerformerTrack t, long start, long end)
            throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            if (audio != null) {
                audio.writeVad(start, end, (i, voiced, db) -> {
                    w.write("{\"frame\":" + i + ",\"t\":" + i / 100.0 + ",\"voiced\":"
                            + (voiced == null ? "null" : voiced ? "1" : "0")
                            + (db == null ? "" : ",\"db\":" + Math.round(db * 10) / 10.0) + "}\n");
                });
                return "audio";
            }
            // the browser's speaking marks on the 10 ms grid (DatasetBuilder's vad)
            DatasetBuilder.Vad vad = t.vad();
            int frame = 0;
            for (long[] run : vad.voiced()) {
                for (; frame < run[0]; frame++) {
                    w.write("{\"frame\":" + frame + ",\"t\":" + frame / 100.0 + ",\"voiced\":0}\n");
                }
                for (; frame < run[0] + run[1]; frame++) {
                    w.write("{\"frame\":" + frame + ",\"t\":" + frame / 100.0 + ",\"voiced\":1}\n");
                }
            }
            for (; frame < vad.frames(); frame++) {
                w.write("{\"frame\":" + frame + ",\"t\":" + frame / 100.0 + ",\"voiced\":0}\n");
            }
            return "marks";
        }
    }

    private static int[] writeTurns(Path file, DatasetBuilder.PerformerTrack t, long origin) throws IOException {
        try (OutputStream o = Files.newOutputStream(file);
             BufferedWriter w = new BufferedWriter(new OutputStreamWriter(o, StandardCharsets.UTF_8))) {
            for (String kind : List.of("turn", "speech")) {
                for (DatasetBuilder.Interval i : kind.equals("turn") ? t.turns() : t.speech()) {
                    Map<String, Object> m = map("kind", kind, "startS", (i.start() - origin) / 1e6, "endS",
                            (i.end() - origin) / 1e6, "startUs", i.start(), "endUs", i.end(), "startSeq", i.startSeq(),
                            "endSeq", i.endSeq(), "startSource", i.startSource(), "endSource", i.endSource());
                    w.write(JSON.writeValueAsString(m));
                    w.write('\n');
                }
            }
        }
        return new int[] {t.turns().size(), t.speech().size()};
    }

    private static void writeTable(Path file, String name, List<ParquetTable.Column> columns, List<Object[]> rows)
            throws IOException {
        try (ParquetTable t = new ParquetTable(file, name, columns)) {
            for (Object[] r : rows) {
                t.row(r);
            }
        }
    }

    private static void copy(Path from, OutputStream to) throws IOException {
        try (InputStream in = Files.newInputStream(from)) {
            in.transferTo(to);
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static String sha256(String text) {
        return text == null ? null : HexFormat.of().formatHex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[256 * 1024];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void forceTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                if (Files.isRegularFile(p)) {
                    try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        } catch (FileAlreadyExistsException e) {
            throw new ExportException("out", to + " appeared while exporting; the export stays in " + from);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: what is left is named *.partial-*, never taken for an export
        }
    }
}
