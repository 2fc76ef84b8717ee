package dev.improv.server.take;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.dataset.BackupAlignment;
import dev.improv.server.media.WavWriter;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.RoomEvent;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.Room;
import dev.improv.server.room.RoomRegistry;
import dev.improv.server.room.RoomSummary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every take of this server: scenes open and end them (told by the rooms' journal), pages upload their chunks,
 * the stage records consents, and an ended take is assembled into one WAV + JSON per performer on the server
 * timeline, with {@code take_track} / {@code take_ended} events in the room's session log. All state and all
 * file work live on one thread ({@code takes}); callers get futures answered from there. Uploads waiting for that
 * thread are bounded ({@link #MAX_QUEUED_UPLOADS}, at most one chunk each): more are refused as {@code BUSY}.
 */
public final class Takes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Takes.class);
    /** Uploads handed to the takes thread and not answered yet; each holds one chunk (≤ 64 KiB) in memory. */
    public static final int MAX_QUEUED_UPLOADS = 256;
    /** The most chunk indexes a take_track event or a status lists as missing. */
    private static final int MAX_LISTED_MISSING = 100;
    private static final int BYTES_PER_SAMPLE = 2;

    private final ServerConfig.TakeSettings settings;
    private final TakeStore store;
    /** Set once by {@link #start}, before any room event or request can arrive through it. */
    private volatile RoomRegistry rooms;
    private final TakeMetrics metrics;
    private final java.util.concurrent.ScheduledThreadPoolExecutor thread = namedThread("takes");
    private final AtomicInteger queuedUploads = new AtomicInteger();
    /**
     * Cross-correlates assembled tracks with the server-side recording ({@link BackupAlignment}): 0.2–0.6 s of CPU a
     * track, which on the takes thread held every upload of the server and delayed {@code take_track} (up to 10 s at
     * load 23). Reads files only; the result goes back to the takes thread, which writes it into the track's JSON.
     */
    private final java.util.concurrent.ScheduledThreadPoolExecutor analysis = namedThread("takes-analysis");
    private final AtomicInteger queuedAnalyses = new AtomicInteger();
    /** Tracks waiting for their comparison; more are not compared (logged), their JSON has no {@code backup}. */
    static final int MAX_QUEUED_ANALYSES = 64;
    /**
     * How long after assembly the comparison starts: the server-side recorder writes its last ~0.7 s of audio after
     * the scene ended, and windows without its audio on disk are not counted.
     */
    static final long BACKUP_DELAY_MS = 1_500;

    // ---- takes thread only ----
    private final Map<String, Take> takes = new HashMap<>();
    /** room → its latest take's id. */
    private final Map<String, String> latest = new HashMap<>();
    /** room → its own stage consent text (given at creation; absent: the server's). Also read by {@link #terms}. */
    private final Map<String, ConsentTerms> roomTerms = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * room → performer → the consent version they declined; each new refusal is also appended to
     * {@code <data>/takes/<room>/declines.jsonl} (forced) before it is answered, and read back at start.
     */
    private final Map<String, Map<String, Integer>> declined = new HashMap<>();
    private long storedBytes;

    /** Built before the rooms (their journal feeds it); {@link #start} gives it the rooms. */
    public Takes(ServerConfig.TakeSettings settings, Path dataDir, io.micrometer.core.instrument.MeterRegistry registry) {
        this.settings = settings;
        this.store = new TakeStore(dataDir);
        this.metrics = new TakeMetrics(registry, settings, () -> storedBytesNow);
        try {
            storedBytes = store.bytesOnDisk();
            storedBytesNow = storedBytes;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the takes folder " + store.root() + ": " + e, e);
        }
    }

    /** Once the rooms exist (and the log restored them): takes left on disk by a stop or crash are read back. */
    public void start(RoomRegistry registry) {
        this.rooms = registry;
        run(this::recoverFromDisk);
    }

    private static java.util.concurrent.ScheduledThreadPoolExecutor namedThread(String name) {
        java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                r -> {
                    Thread th = new Thread(r, name);
                    th.setDaemon(true);
                    return th;
                });
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // grace timers: the takes stay on disk
        return t;
    }

    /** For the gauge: written by the takes thread, read by the scrape. */
    private volatile long storedBytesNow;

    // ------------------------------------------------------------------ scenes (from the rooms' journal)

    /** A scene or room event of a room's session: hands it to the takes thread. Never blocks. */
    public void roomEvent(String roomId, String sessionId, byte[] eventJson) {
        run(() -> onRoomEvent(roomId, sessionId, eventJson));
    }

    private void onRoomEvent(String roomId, String sessionId, byte[] json) {
        JsonNode e;
        try {
            e = ProtocolCodec.mapper().readTree(json);
        } catch (IOException ex) {
            LOG.error("room {}: unreadable event for takes", roomId, ex);
            return;
        }
        String type = e.path("type").asText();
        long ts = e.path("ts").asLong();
        switch (type) {
            case "scene_started" -> {
                Take take = new Take(roomId, sessionId, e.path("scene").asInt(), ts);
                Room room = rooms.get(roomId);
                if (room != null) {
                    for (ServerMessage.Member m : room.summary().roster()) {
                        if (m.role() == Role.PERFORMER && m.connected() && room.hasConsent(m.id())) {
                            take.expected.add(m.id());
                        }
                    }
                }
                takes.put(take.id, take);
                latest.put(roomId, take.id);
                metrics.takeOpened();
            }
            case "scene_ended" -> end(takes.get(Take.idOf(roomId, e.path("scene").asInt())), ts);
            case "room_closed" -> {
                String id = latest.get(roomId);
                Take take = id == null ? null : takes.get(id);
                if (take != null && take.state == Take.State.RECORDING) {
                    end(take, ts);
                }
            }
            default -> {
            }
        }
    }

    private void end(Take take, long ts) {
        if (take == null || take.state != Take.State.RECORDING) {
            return;
        }
        take.state = Take.State.ENDED;
        take.endedUs = ts;
        take.graceTimer = thread.schedule(() -> assemble(take), settings.uploadGraceMs(), TimeUnit.MILLISECONDS);
        assembleIfComplete(take);
    }

    // ------------------------------------------------------------------ chunks

    /**
     * Stores one chunk durably, or refuses it with a {@link TakeRefusal} (nothing stored). The future completes on
     * the takes thread once the chunk is on disk.
     *
     * @param roomId, pid, role  from the uploader's verified join token
     * @param recordedSamples    what the page has recorded of this take so far (for the console), or -1
     */
    public CompletableFuture<TakeAnswers.ChunkStored> upload(String roomId, String pid, Role role, String takeId,
                                                             String participant, ChunkMeta meta, byte[] pcm,
                                                             long recordedSamples) {
        return queuedUpload(() -> store(roomId, pid, role, takeId, participant, meta, pcm, recordedSamples));
    }

    /**
     * Stores one chunk of a performer's camera recording durably (the server records video only with
     * {@code --take-video}), or refuses it with a {@link TakeRefusal}; as {@link #upload}.
     */
    public CompletableFuture<TakeAnswers.ChunkStored> uploadVideo(String roomId, String pid, Role role, String takeId,
                                                                  String participant, VideoChunkMeta meta,
                                                                  byte[] webm) {
        return queuedUpload(() -> storeVideo(roomId, pid, role, takeId, participant, meta, webm));
    }

    /** Runs one upload's work on the takes thread, at most {@link #MAX_QUEUED_UPLOADS} waiting. */
    private CompletableFuture<TakeAnswers.ChunkStored> queuedUpload(Supplier<TakeAnswers.ChunkStored> work) {
        CompletableFuture<TakeAnswers.ChunkStored> answer = new CompletableFuture<>();
        if (queuedUploads.incrementAndGet() > MAX_QUEUED_UPLOADS) {
            queuedUploads.decrementAndGet();
            metrics.refused("busy");
            answer.completeExceptionally(new TakeRefusal(503, TakeRefusal.BUSY, null,
                    "the server is writing many chunks; send this one again in a moment"));
            return answer;
        }
        boolean queued = run(() -> {
            queuedUploads.decrementAndGet();
            try {
                answer.complete(work.get());
            } catch (TakeRefusal r) {
                metrics.refused(r.code());
                answer.completeExceptionally(r);
            } catch (RuntimeException ex) {
                answer.completeExceptionally(ex);
            }
        });
        if (!queued) {
            queuedUploads.decrementAndGet();
            answer.completeExceptionally(new TakeRefusal(503, TakeRefusal.BUSY, null, "the server is stopping"));
        }
        return answer;
    }

    private TakeAnswers.ChunkStored store(String roomId, String pid, Role role, String takeId, String participant,
                                          ChunkMeta meta, byte[] pcm, long recordedSamples) {
        Take take = admitted(roomId, pid, role, takeId, participant);
        if (pcm.length == 0 || pcm.length % BYTES_PER_SAMPLE != 0) {
            throw TakeRefusal.invalid("body", "the body must be 16-bit PCM: a non-zero, even number of bytes");
        }
        checkBody(pcm, meta.sha256());
        Take.Track track = take.tracks.get(pid);
        ChunkMeta known = track == null ? null : track.chunks.get(meta.index());
        if (known != null) {
            if (known.sha256().equals(meta.sha256())) {
                track.recordedSamples = Math.max(track.recordedSamples, recordedSamples);
                metrics.duplicate();
                return answer(take, track, meta.index(), true);
            }
            throw conflict(meta.index(), known.sha256());
        }
        checkOrder(meta.index(), meta.last(), track == null ? null : track.chunks,
                track == null ? -1 : track.lastIndex);
        checkNeighbours(track, meta);
        checkQuota(take, pcm.length);
        write(take, meta.index(), () -> store.writeChunk(take.roomId, take.scene, pid, meta, pcm), pcm.length);
        track = take.track(pid);
        track.chunks.put(meta.index(), meta);
        track.bytes += pcm.length;
        track.uploadedSamples += meta.samples();
        track.recordedSamples = Math.max(track.recordedSamples, recordedSamples);
        if (meta.last()) {
            track.lastIndex = meta.index();
        }
        take.expected.add(pid);
        TakeAnswers.ChunkStored stored = answer(take, track, meta.index(), false);
        assembleIfComplete(take);
        return stored;
    }

    private TakeAnswers.ChunkStored storeVideo(String roomId, String pid, Role role, String takeId,
                                               String participant, VideoChunkMeta meta, byte[] webm) {
        if (!settings.video()) {
            throw new TakeRefusal(403, "NOT_AUTHORIZED", "video", "this server does not record cameras "
                    + "(--take-video is off): nothing is stored");
        }
        Take take = admitted(roomId, pid, role, takeId, participant);
        if (webm.length == 0) {
            throw TakeRefusal.invalid("body", "the body must be the next bytes of the WebM stream: it is empty");
        }
        checkBody(webm, meta.sha256());
        Take.Track track = take.tracks.get(pid);
        VideoChunkMeta known = track == null ? null : track.video.get(meta.index());
        if (known != null) {
            if (known.sha256().equals(meta.sha256())) {
                metrics.duplicate();
                return videoAnswer(take, track, meta.index(), true);
            }
            throw conflict(meta.index(), known.sha256());
        }
        checkOrder(meta.index(), meta.last(), track == null ? null : track.video,
                track == null ? -1 : track.videoLastIndex);
        checkVideoNeighbours(track, meta);
        checkQuota(take, webm.length);
        write(take, meta.index(), () -> store.writeVideoChunk(take.roomId, take.scene, pid, meta, webm),
                webm.length);
        track = take.track(pid);
        track.video.put(meta.index(), meta);
        track.videoBytes += webm.length;
        if (meta.last()) {
            track.videoLastIndex = meta.index();
        }
        take.expected.add(pid);
        TakeAnswers.ChunkStored stored = videoAnswer(take, track, meta.index(), false);
        assembleIfComplete(take);
        return stored;
    }

    /** The take, when this performer may upload to their own track of it now; else the refusal. */
    private Take admitted(String roomId, String pid, Role role, String takeId, String participant) {
        Take take = takes.get(takeId);
        if (take == null) {
            throw new TakeRefusal(404, TakeRefusal.TAKE_NOT_FOUND, "take", "no take '" + clip(takeId)
                    + "' on this server (a take is <room>-<scene> of a scene that started)");
        }
        if (!take.roomId.equals(roomId)) {
            throw new TakeRefusal(403, "TOKEN_WRONG_ROOM", "token", "the token is for another room than this take");
        }
        if (role != Role.PERFORMER) {
            throw new TakeRefusal(403, "NOT_AUTHORIZED", "token", "only performers upload takes");
        }
        if (!participant.equals(pid)) {
            throw new TakeRefusal(403, "NOT_AUTHORIZED", "participant",
                    "this is another performer's track: a page uploads only its own");
        }
        if (take.state == Take.State.CLOSED) {
            throw new TakeRefusal(409, TakeRefusal.TAKE_CLOSED, "take", "take '" + takeId
                    + "' is closed (assembled); no chunk is taken any more");
        }
        if (!rooms.hasConsent(roomId, pid)) {
            throw new TakeRefusal(403, "CONSENT_REQUIRED", "participant",
                    "no recording consent of this performer in the room's log: nothing is recorded");
        }
        return take;
    }

    private void checkBody(byte[] body, String sha256) {
        if (body.length > settings.maxChunkBytes()) {
            throw new TakeRefusal(413, "MESSAGE_TOO_LARGE", "body", "a chunk is at most " + settings.maxChunkBytes()
                    + " bytes (--take-max-chunk-bytes)");
        }
        String actual = sha256(body);
        if (!actual.equals(sha256)) {
            throw TakeRefusal.invalid("sha256", "'sha256' does not match the body (the body hashes to " + actual + ")");
        }
    }

    private static TakeRefusal conflict(int index, String storedSha256) {
        return new TakeRefusal(409, TakeRefusal.CHUNK_CONFLICT, "index", "chunk " + index
                + " is already stored with other content (sha256 " + storedSha256 + ")");
    }

    /** A new index: within the order window, not after the chunk marked last, and only last when nothing follows. */
    private void checkOrder(int index, boolean last, java.util.NavigableMap<Integer, ?> stored, int lastIndex) {
        int firstMissing = stored == null ? 0 : Take.Track.firstMissing(stored);
        if (index >= firstMissing + settings.orderWindow()) {
            throw TakeRefusal.invalid("index", "chunk " + index + " is out of order: chunk " + firstMissing
                    + " is still missing and at most " + settings.orderWindow()
                    + " chunks may be ahead of it (--take-order-window); send the earlier ones first");
        }
        if (lastIndex >= 0 && index > lastIndex) {
            throw TakeRefusal.invalid("index", "chunk " + lastIndex + " was marked as the last of this track");
        }
        if (last && stored != null && !stored.isEmpty() && stored.lastKey() > index) {
            throw TakeRefusal.invalid("last", "chunks after " + index + " are stored: it cannot be the last");
        }
    }

    private void checkQuota(Take take, int length) {
        if (take.bytes + length > settings.maxTakeBytes()) {
            throw new TakeRefusal(507, TakeRefusal.QUOTA_EXCEEDED, "body", "take '" + take.id + "' holds "
                    + take.bytes + " bytes; its quota is " + settings.maxTakeBytes() + " (--take-quota-bytes)");
        }
        if (storedBytes + length > settings.maxServerBytes()) {
            throw new TakeRefusal(507, TakeRefusal.QUOTA_EXCEEDED, "body", "the server's takes hold " + storedBytes
                    + " bytes; the quota is " + settings.maxServerBytes() + " (--takes-disk-quota-bytes)");
        }
    }

    @FunctionalInterface
    private interface ChunkWrite {
        void run() throws IOException;
    }

    /** Writes a chunk durably and counts its bytes against the quotas; a failed write is answered 503. */
    private void write(Take take, int index, ChunkWrite write, int length) {
        long start = System.nanoTime();
        try {
            write.run();
        } catch (IOException e) {
            LOG.error("room {}: chunk {} of take {} could not be written", take.roomId, index, take.id, e);
            metrics.refused(TakeRefusal.STORAGE_FAILED);
            throw new TakeRefusal(503, TakeRefusal.STORAGE_FAILED, null,
                    "the chunk could not be written to disk; send it again later");
        }
        metrics.chunkStored(length, System.nanoTime() - start);
        take.bytes += length;
        storedBytes += length;
        storedBytesNow = storedBytes;
    }

    /** A camera chunk's bytes follow the one before it in the same segment's stream. */
    private static void checkVideoNeighbours(Take.Track track, VideoChunkMeta meta) {
        if (track == null) {
            return;
        }
        VideoChunkMeta before = track.video.get(meta.index() - 1);
        if (before != null && before.segment() > meta.segment()) {
            throw TakeRefusal.invalid("segment", "segment " + meta.segment() + " is older than chunk "
                    + before.index() + "'s segment " + before.segment());
        }
        if (before != null && before.segment() == meta.segment() && before.offset() + before.bytes() != meta.offset()) {
            throw TakeRefusal.invalid("offset", "chunk " + meta.index() + " must start at byte "
                    + (before.offset() + before.bytes()) + " of its segment, where chunk " + before.index() + " ended");
        }
        VideoChunkMeta after = track.video.get(meta.index() + 1);
        if (after != null && after.segment() == meta.segment() && meta.offset() + meta.bytes() != after.offset()) {
            throw TakeRefusal.invalid("offset", "chunk " + meta.index() + " must end at byte " + after.offset()
                    + ", where chunk " + after.index() + " starts");
        }
        if (before != null && before.segment() == meta.segment() && before.startUs() != meta.startUs()) {
            throw TakeRefusal.invalid("startUs", "chunk " + meta.index() + " names another start of segment "
                    + meta.segment() + " than chunk " + before.index() + " (" + before.startUs() + ")");
        }
    }

    /** Samples are contiguous inside a segment: a chunk must start where the one before it ended. */
    private static void checkNeighbours(Take.Track track, ChunkMeta meta) {
        if (track == null) {
            return;
        }
        ChunkMeta before = track.chunks.get(meta.index() - 1);
        if (before != null && before.segment() > meta.segment()) {
            throw TakeRefusal.invalid("segment", "segment " + meta.segment() + " is older than chunk "
                    + before.index() + "'s segment " + before.segment());
        }
        if (before != null && before.segment() == meta.segment()
                && before.sample() + before.samples() != meta.sample()) {
            throw TakeRefusal.invalid("sample", "chunk " + meta.index() + " must start at sample "
                    + (before.sample() + before.samples()) + " of its segment, where chunk " + before.index()
                    + " ended");
        }
        ChunkMeta after = track.chunks.get(meta.index() + 1);
        if (after != null && after.segment() == meta.segment()
                && meta.sample() + meta.samples() != after.sample()) {
            throw TakeRefusal.invalid("sample", "chunk " + meta.index() + " must end at sample " + after.sample()
                    + ", where chunk " + after.index() + " starts");
        }
    }

    private static TakeAnswers.ChunkStored answer(Take take, Take.Track track, int index, boolean duplicate) {
        return new TakeAnswers.ChunkStored(take.id, track.participant, index, duplicate, track.chunks.size(),
                seconds(track.uploadedSamples));
    }

    /** The answer to a camera chunk: its counts are the camera's. */
    private static TakeAnswers.ChunkStored videoAnswer(Take take, Take.Track track, int index, boolean duplicate) {
        return new TakeAnswers.ChunkStored(take.id, track.participant, index, duplicate, track.video.size(),
                videoSeconds(track));
    }

    /** Seconds of camera recording stored: per segment, as far as its chunks reach (the page's own stamps). */
    private static double videoSeconds(Take.Track track) {
        Map<Integer, Long> reach = new HashMap<>();
        for (VideoChunkMeta c : track.video.values()) {
            reach.merge(c.segment(), c.untilMs(), Math::max);
        }
        return Math.round(reach.values().stream().mapToLong(Long::longValue).sum() / 10.0) / 100.0;
    }

    // ------------------------------------------------------------------ status and consent

    /** The room's latest take with every performer's numbers (the console), answered on the takes thread. */
    public CompletableFuture<TakeAnswers.Status> status(String roomId) {
        return call(() -> {
            Room room = rooms.get(roomId);
            ConsentTerms terms = terms(roomId);
            String id = latest.get(roomId);
            Take take = id == null ? null : takes.get(id);
            List<TakeAnswers.Performer> performers = new ArrayList<>();
            Map<String, String> names = new LinkedHashMap<>();
            if (room != null) {
                for (ServerMessage.Member m : room.summary().roster()) {
                    if (m.role() == Role.PERFORMER) {
                        names.put(m.id(), m.name());
                    }
                }
            }
            if (take != null) {
                for (String pid : take.tracks.keySet()) {
                    names.putIfAbsent(pid, pid);
                }
            }
            for (Map.Entry<String, String> p : names.entrySet()) {
                Take.Track t = take == null ? null : take.tracks.get(p.getKey());
                long recorded = t == null ? 0 : Math.max(t.recordedSamples, t.uploadedSamples);
                long uploaded = t == null ? 0 : t.uploadedSamples;
                performers.add(new TakeAnswers.Performer(p.getKey(), p.getValue(), consentAnswer(roomId, p.getKey()),
                        seconds(recorded), seconds(uploaded), seconds(recorded - uploaded),
                        t == null ? 0 : t.chunks.size(), t == null ? List.of() : missing(t), t != null && t.complete(),
                        t == null || t.video.isEmpty() ? null : videoSeconds(t),
                        t == null || t.video.isEmpty() ? null : t.video.size()));
            }
            return new TakeAnswers.Status(roomId, terms.version(), take == null ? null : take.id,
                    take == null ? null : take.scene, take == null ? null : take.state.name().toLowerCase(),
                    take == null || take.state != Take.State.CLOSED ? null : take.complete(), performers);
        });
    }

    /** The consent text of a room's stage: its own, or the server's. */
    public ConsentTerms terms(String roomId) {
        ConsentTerms own = roomTerms.get(roomId);
        return own != null ? own : new ConsentTerms(settings.consentVersion(), settings.consentText());
    }

    /**
     * Gives a room its own stage consent text, kept in {@code <data>/takes/<room>/consent.json} (forced to disk
     * before the future completes, so that a restart shows the same text).
     */
    public CompletableFuture<Void> setTerms(String roomId, ConsentTerms terms) {
        return call(() -> {
            try {
                Path dir = Files.createDirectories(store.root().resolve(roomId));
                TakeStore.writeDurably(dir.resolve("consent.json"), ProtocolCodec.mapper().writeValueAsBytes(terms));
                TakeStore.forceDir(dir);
            } catch (IOException e) {
                throw new TakeRefusal(503, TakeRefusal.STORAGE_FAILED, "consentText",
                        "the room's consent text could not be written: " + e.getMessage());
            }
            roomTerms.put(roomId, terms);
            return null;
        });
    }

    /** The stage consent and this performer's answer. */
    public CompletableFuture<TakeAnswers.Consent> consent(String roomId, String pid) {
        return call(() -> {
            ConsentTerms t = terms(roomId);
            return consentAnswer(t, consentAnswer(roomId, pid));
        });
    }

    /**
     * Records a performer's answer: an agreement as the room's {@code consent} event ({@code via: "stage"}), once;
     * a refusal in the takes folder's {@code declines.jsonl} of the room (durable before the answer, kept over a
     * restart; nothing is recorded of them; the console shows it). A later agreement wins over it.
     */
    public CompletableFuture<TakeAnswers.Consent> answerConsent(String roomId, String pid, int version, boolean agree) {
        CompletableFuture<TakeAnswers.Consent> answer = new CompletableFuture<>();
        run(() -> {
            ConsentTerms t = terms(roomId);
            if (version != t.version()) {
                answer.completeExceptionally(new TakeRefusal(409, "CONSENT_REQUIRED", "version", "the consent text is "
                        + "version " + t.version() + ", not " + version + ": read it again"));
                return;
            }
            Room room = rooms.get(roomId);
            if (room == null) {
                answer.completeExceptionally(new TakeRefusal(404, "ROOM_NOT_FOUND", "token", "the room is not open"));
                return;
            }
            if (!agree) {
                Map<String, Integer> no = declined.computeIfAbsent(roomId, k -> new HashMap<>());
                if (!room.hasConsent(pid) && !Integer.valueOf(version).equals(no.get(pid))) {
                    no.put(pid, version); // nothing is recorded of them either way; the file keeps it over a restart
                    try {
                        store.appendDecline(roomId, pid, version, System.currentTimeMillis() * 1000);
                    } catch (IOException e) {
                        LOG.error("room {}: {}'s refusal of consent could not be written", roomId, pid, e);
                        answer.completeExceptionally(new TakeRefusal(503, TakeRefusal.STORAGE_FAILED, null,
                                "the answer could not be written to disk (nothing is recorded of you): send it again"));
                        return;
                    }
                }
                answer.complete(consentAnswer(t, consentAnswer(roomId, pid)));
                return;
            }
            Map<String, Integer> no = declined.get(roomId);
            if (no != null) {
                no.remove(pid);
            }
            if (room.hasConsent(pid)) {
                answer.complete(consentAnswer(t, "agreed"));
                return;
            }
            long at = System.currentTimeMillis() * 1000;
            room.execute(() -> {
                if (!room.hasConsent(pid)) {
                    room.recordStageConsent(pid, version, at);
                }
                run(() -> {
                    Take take = takes.get(latest.getOrDefault(roomId, ""));
                    if (take != null && take.state == Take.State.RECORDING) {
                        take.expected.add(pid);
                    }
                    answer.complete(consentAnswer(t, "agreed"));
                });
            });
        });
        return answer;
    }

    /** The stage's text, what is recorded of a performer who agrees, and their answer. */
    private TakeAnswers.Consent consentAnswer(ConsentTerms terms, String answer) {
        return new TakeAnswers.Consent(terms.version(), terms.text(), answer, settings.video(),
                settings.video() ? settings.videoBitsPerSecond() : null);
    }

    private String consentAnswer(String roomId, String pid) {
        if (rooms.hasConsent(roomId, pid)) {
            return "agreed";
        }
        Map<String, Integer> no = declined.get(roomId);
        return no != null && no.containsKey(pid) ? "declined" : null;
    }

    // ------------------------------------------------------------------ assembly

    private void assembleIfComplete(Take take) {
        if (take.state == Take.State.ENDED && take.complete()) {
            assemble(take);
        }
    }

    /** Writes every track's WAV + JSON, then the take_* events; the take takes no chunk after this. */
    private void assemble(Take take) {
        if (take.state == Take.State.CLOSED) {
            return;
        }
        take.state = Take.State.CLOSED;
        if (take.graceTimer != null) {
            take.graceTimer.cancel(false);
        }
        List<RoomEvent.TakeTrack> tracks = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        for (Take.Track t : take.tracks.values()) {
            try {
                tracks.add(assemble(take, t));
            } catch (IOException e) {
                LOG.error("room {}: track {} of take {} could not be assembled; its chunks are kept", take.roomId,
                        t.participant, take.id, e);
            }
            if (!t.complete()) {
                incomplete.add(t.participant);
            }
        }
        Map<String, String> notRecorded = new LinkedHashMap<>();
        for (String pid : take.expected) {
            if (!take.tracks.containsKey(pid)) {
                notRecorded.put(pid, "no chunk arrived");
                incomplete.add(pid);
            }
        }
        Room room = rooms.get(take.roomId);
        if (room != null) {
            for (ServerMessage.Member m : room.summary().roster()) {
                if (m.role() == Role.PERFORMER && !take.tracks.containsKey(m.id()) && !notRecorded.containsKey(m.id())) {
                    String answer = consentAnswer(take.roomId, m.id());
                    notRecorded.put(m.id(), "declined".equals(answer) ? "declined consent"
                            : "agreed".equals(answer) ? "no chunk arrived" : "no consent");
                }
            }
        }
        boolean complete = incomplete.isEmpty() && !take.tracks.isEmpty();
        metrics.takeClosed(complete);
        LOG.info("room {}: take {} closed, {} tracks, complete {}", take.roomId, take.id, tracks.size(), complete);
        if (room != null && room.sessionId().equals(take.sessionId)) {
            List<String> trackIds = tracks.stream().map(RoomEvent.TakeTrack::participant).toList();
            room.execute(() -> {
                for (RoomEvent.TakeTrack t : tracks) {
                    room.publishServerEvent((seq, ts) -> new RoomEvent.TakeTrack(seq, ts, RoomEvent.SERVER, t.take(),
                            t.scene(), t.participant(), t.complete(), t.chunks(), t.missing(), t.samples(),
                            t.firstSampleServerUs(), t.driftPpm(), t.alignErrorUs(), t.file(), t.video()));
                }
                room.publishServerEvent((seq, ts) -> new RoomEvent.TakeEnded(seq, ts, RoomEvent.SERVER, take.id,
                        take.scene, complete, trackIds, incomplete, notRecorded));
            });
        }
    }

    private RoomEvent.TakeTrack assemble(Take take, Take.Track t) throws IOException {
        Path dir = store.takeDir(take.roomId, take.scene);
        Path wav = dir.resolve(t.participant + ".wav");
        List<ChunkMeta> chunks = new ArrayList<>(t.chunks.values());
        List<Integer> missing = missing(t);
        TrackAlignment.Placement p = chunks.isEmpty() ? null : TrackAlignment.place(chunks);
        long written;
        try (WavWriter out = new WavWriter(wav, TrackAlignment.SAMPLE_RATE, 1)) {
            written = 0;
            Map<Integer, TrackAlignment.Segment> bySegment = new HashMap<>();
            if (p != null) {
                p.segments().forEach(s -> bySegment.put(s.segment(), s));
            }
            for (ChunkMeta c : chunks) {
                TrackAlignment.Segment s = bySegment.get(c.segment());
                // where this chunk's first sample belongs in the file: its segment's place on the server timeline
                long at = Math.round((s.serverUs() - p.firstSampleServerUs()) * TrackAlignment.SAMPLE_RATE / 1e6)
                        + (c.sample() - s.firstSample());
                short[] samples = pcm(store.readChunk(take.roomId, take.scene, t.participant, c.index()));
                int skip = 0;
                if (at > written) {
                    out.writeSilence(at - written); // a missing chunk, or the time a reload took
                    written = at;
                } else if (at < written) {
                    skip = (int) Math.min(samples.length, written - at); // overlap of two segments: keep the first
                }
                out.write(samples, skip, samples.length - skip);
                written += samples.length - skip;
            }
        }
        long sceneStart = take.startedUs;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("take", take.id);
        json.put("room", take.roomId);
        json.put("session", take.sessionId);
        json.put("scene", take.scene);
        json.put("participant", t.participant);
        json.put("file", t.participant + ".wav");
        json.put("sampleRate", TrackAlignment.SAMPLE_RATE);
        json.put("channels", 1);
        json.put("format", "pcm_s16le");
        json.put("samples", written);
        json.put("complete", t.complete());
        json.put("chunks", t.chunks.size());
        json.put("missing", missing);
        json.put("sceneStartedUs", sceneStart);
        json.put("sceneEndedUs", take.endedUs);
        if (p != null) {
            json.put("firstSampleServerUs", p.firstSampleServerUs());
            json.put("offsetFromSceneStartUs", p.firstSampleServerUs() - sceneStart);
            json.put("driftPpm", p.driftPpm());
            json.put("alignErrorUs", p.alignErrorUs());
            json.put("clockOffsetUs", p.offsetUs());
            json.put("clockRttUs", p.rttUs());
            // which capture the samples came from: the fallback's alignErrorUs cannot see its WebAudio offset
            json.put("capture", p.segments().stream().map(TrackAlignment.Segment::capture)
                    .map(c -> c == null ? "unknown" : c).distinct().reduce((a, b) -> a + "," + b).orElse(null));
            json.put("segments", p.segments());
        }
        json.put("stamps", chunks.stream().map(c -> List.of(c.index(), c.segment(), c.sample(), c.clientUs(),
                c.offsetUs(), c.rttUs())).toList());
        List<String> videoFiles = new ArrayList<>();
        if (!t.video.isEmpty()) {
            json.put("video", assembleVideo(take, t, dir, p, videoFiles));
        }
        Path trackJson = dir.resolve(t.participant + ".json");
        TakeStore.writeDurably(trackJson, ProtocolCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        TakeStore.forceDir(dir);
        if (p != null) {
            compareWithBackupLater(take, t.participant, wav, trackJson, json, p.firstSampleServerUs());
        }
        long chunkBytes = t.bytes;
        store.deleteChunks(take.roomId, take.scene, t.participant);
        storedBytes += Files.size(wav) - chunkBytes;
        storedBytesNow = storedBytes;
        storedBytes -= t.videoBytes; // the camera's chunks became its files (counted as they were written)
        storedBytesNow = storedBytes;
        String folder = "takes/" + take.roomId + "/" + take.scene + "/";
        return new RoomEvent.TakeTrack(0, 0, RoomEvent.SERVER, take.id, take.scene, t.participant, t.complete(),
                t.chunks.size(), missing.isEmpty() ? null : missing, written,
                p == null ? null : p.firstSampleServerUs(), p == null ? null : p.driftPpm(),
                p == null ? null : p.alignErrorUs(), folder + t.participant + ".wav",
                videoFiles.isEmpty() ? null : videoFiles.stream().map(f -> folder + f).toList());
    }

    /**
     * Writes the camera's chunks as WebM files, one per MediaRecorder run (segment): its chunks' bytes in index
     * order are that run's stream, so they are copied as they are (the bytes stored are the bytes the page made).
     * Each file is placed on the server timeline by its run's start stamp and the page's clock offset: the audio's
     * (the same page clock, its best round trip) where the microphone was recorded, else the camera chunks' best.
     * A missing chunk is left out (listed): the file's bytes after it may not play until the next keyframe.
     *
     * @param files the names written (in {@code dir})
     * @return the track JSON's {@code video}
     */
    private Map<String, Object> assembleVideo(Take take, Take.Track t, Path dir, TrackAlignment.Placement audio,
                                              List<String> files) throws IOException {
        VideoChunkMeta best = t.video.values().stream().min(java.util.Comparator.comparingLong(VideoChunkMeta::rttUs))
                .orElseThrow();
        long offsetUs = audio != null ? audio.offsetUs() : best.offsetUs();
        long rttUs = audio != null ? audio.rttUs() : best.rttUs();
        Map<Integer, List<VideoChunkMeta>> bySegment = new java.util.TreeMap<>();
        for (VideoChunkMeta c : t.video.values()) {
            bySegment.computeIfAbsent(c.segment(), k -> new ArrayList<>()).add(c);
        }
        List<Map<String, Object>> segments = new ArrayList<>();
        long filesBytes = 0;
        for (Map.Entry<Integer, List<VideoChunkMeta>> e : bySegment.entrySet()) {
            String name = files.isEmpty() ? t.participant + ".webm" : t.participant + "." + e.getKey() + ".webm";
            Path target = dir.resolve(name);
            Path tmp = dir.resolve(name + ".tmp");
            long bytes = 0;
            try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(tmp,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                    java.nio.file.StandardOpenOption.WRITE)) {
                for (VideoChunkMeta c : e.getValue()) {
                    try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(
                            store.videoChunk(take.roomId, take.scene, t.participant, c.index()))) {
                        long size = in.size();
                        for (long at = 0; at < size; ) {
                            at += in.transferTo(at, size - at, out);
                        }
                        bytes += size;
                    }
                }
                out.force(true);
            }
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            files.add(name);
            filesBytes += bytes;
            VideoChunkMeta first = e.getValue().get(0);
            long firstFrameServerUs = first.startUs() + offsetUs;
            Map<String, Object> segment = new LinkedHashMap<>();
            segment.put("file", name);
            segment.put("segment", e.getKey());
            segment.put("firstFrameServerUs", firstFrameServerUs);
            segment.put("offsetFromSceneStartUs", firstFrameServerUs - take.startedUs);
            segment.put("recordedMs", e.getValue().stream().mapToLong(VideoChunkMeta::untilMs).max().orElse(0));
            segment.put("chunks", e.getValue().size());
            segment.put("bytes", bytes);
            segments.add(segment);
        }
        TakeStore.forceDir(dir);
        storedBytes += filesBytes;
        List<Integer> missing = missing(t.video, t.videoLastIndex);
        Map<String, Object> video = new LinkedHashMap<>();
        video.put("mimeType", best.mimeType());
        video.put("complete", t.videoComplete());
        video.put("chunks", t.video.size());
        video.put("missing", missing);
        video.put("clockOffsetUs", offsetUs);
        video.put("clockRttUs", rttUs);
        video.put("files", segments);
        return video;
    }

    /**
     * Measures, on the analysis thread, where the server-side recorder (when it recorded this performer in this
     * session) placed the same sound as the local take, then has the takes thread write it into the track's JSON as
     * {@code backup}: null when it did not record them, or when its files could not be read (logged: the local take
     * is the primary audio and is kept either way). Until then the JSON has no {@code backup}; a stop in between
     * leaves it without one.
     */
    private void compareWithBackupLater(Take take, String pid, Path wav, Path trackJson, Map<String, Object> json,
                                        long firstSampleServerUs) {
        if (queuedAnalyses.incrementAndGet() > MAX_QUEUED_ANALYSES) {
            queuedAnalyses.decrementAndGet();
            LOG.warn("room {}: {} tracks wait for their comparison with the server-side recording; {} of take {} is "
                    + "not compared", take.roomId, MAX_QUEUED_ANALYSES, pid, take.id);
            return;
        }
        Path dataDir = store.root().getParent();
        String roomId = take.roomId;
        String sessionId = take.sessionId; // read here: the analysis thread never touches the take
        String takeId = take.id;
        try {
            analysis.schedule(() -> {
                long start = System.nanoTime();
                Map<String, Object> backup;
                try {
                    backup = BackupAlignment.measure(wav, firstSampleServerUs, dataDir, sessionId, pid);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("room {}: the server-side recording of {} could not be compared with take {}",
                            roomId, pid, takeId, e);
                    backup = null;
                } finally {
                    queuedAnalyses.decrementAndGet();
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                Map<String, Object> measured = backup;
                run(() -> writeBackup(take, pid, trackJson, json, measured, ms));
            }, BACKUP_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            queuedAnalyses.decrementAndGet(); // stopping: the track stays without a comparison
        }
    }

    /** Takes thread: the comparison into the track's JSON (written anew, durably), unless the JSON is gone. */
    private void writeBackup(Take take, String pid, Path trackJson, Map<String, Object> json,
                             Map<String, Object> backup, long ms) {
        if (!Files.isRegularFile(trackJson)) {
            return;
        }
        json.put("backup", backup);
        try {
            TakeStore.writeDurably(trackJson, ProtocolCodec.mapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(json));
            LOG.info("room {}: {} of take {} compared with the server-side recording in {} ms: {}", take.roomId, pid,
                    take.id, ms, backup == null ? "no recording of them" : "offset " + backup.get("offsetUs") + " us");
        } catch (IOException e) {
            LOG.error("room {}: the comparison of {} of take {} could not be written to {}", take.roomId, pid, take.id,
                    trackJson, e);
        }
    }

    /** Indexes below the last known one that never arrived (at most 100 listed). */
    private static List<Integer> missing(Take.Track t) {
        return missing(t.chunks, t.lastIndex);
    }

    private static List<Integer> missing(java.util.NavigableMap<Integer, ?> stored, int lastIndex) {
        List<Integer> out = new ArrayList<>();
        int end = lastIndex >= 0 ? lastIndex : stored.isEmpty() ? -1 : stored.lastKey();
        for (int i = 0; i <= end && out.size() < MAX_LISTED_MISSING; i++) {
            if (!stored.containsKey(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** Takes whose chunks were on disk at start (the server stopped or crashed before assembling them). */
    private void recoverFromDisk() {
        if (!Files.isDirectory(store.root())) {
            return;
        }
        try (Stream<Path> roomDirs = Files.list(store.root())) {
            for (Path roomDir : (Iterable<Path>) roomDirs::iterator) {
                Path terms = roomDir.resolve("consent.json");
                if (Files.isRegularFile(terms)) {
                    roomTerms.put(roomDir.getFileName().toString(),
                            ProtocolCodec.mapper().readValue(terms.toFile(), ConsentTerms.class));
                }
                Map<String, Integer> no = store.declines(roomDir);
                if (!no.isEmpty()) {
                    declined.put(roomDir.getFileName().toString(), new HashMap<>(no));
                }
                try (Stream<Path> sceneDirs = Files.list(roomDir)) {
                    for (Path sceneDir : (Iterable<Path>) sceneDirs::iterator) {
                        recoverTake(roomDir.getFileName().toString(), sceneDir);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("takes left on disk could not be read back", e);
        }
    }

    private void recoverTake(String roomId, Path sceneDir) throws IOException {
        int scene;
        try {
            scene = Integer.parseInt(sceneDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return;
        }
        Room room = rooms.get(roomId);
        Take take = new Take(roomId, room == null ? "" : room.sessionId(), scene, 0);
        try (Stream<Path> pids = Files.list(sceneDir)) {
            for (Path pidDir : (Iterable<Path>) pids::iterator) {
                Path chunks = pidDir.resolve("chunks");
                if (!Files.isDirectory(chunks) && !Files.isDirectory(pidDir.resolve("video"))) {
                    continue;
                }
                Take.Track t = take.track(pidDir.getFileName().toString());
                for (ChunkMeta c : Files.isDirectory(chunks) ? store.chunksOnDisk(chunks) : List.<ChunkMeta>of()) {
                    t.chunks.put(c.index(), c);
                    t.bytes += Files.size(chunks.resolve(c.index() + ".pcm"));
                    t.uploadedSamples += c.samples();
                    if (c.last()) {
                        t.lastIndex = c.index();
                    }
                }
                Path video = pidDir.resolve("video");
                if (Files.isDirectory(video)) {
                    for (VideoChunkMeta c : store.videoChunksOnDisk(video)) {
                        t.video.put(c.index(), c);
                        t.videoBytes += c.bytes();
                        if (c.last()) {
                            t.videoLastIndex = c.index();
                        }
                    }
                }
                take.bytes += t.bytes + t.videoBytes;
                take.expected.add(t.participant);
            }
        }
        if (take.tracks.isEmpty()) {
            return;
        }
        takes.put(take.id, take);
        latest.merge(roomId, take.id, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        RoomSummary now = room == null ? null : room.summary();
        if (now == null || !(now.sceneActive() && now.scene() == scene)) {
            end(take, System.currentTimeMillis() * 1000);
        }
        LOG.info("room {}: take {} read back from disk with {} tracks", roomId, take.id, take.tracks.size());
    }

    // ------------------------------------------------------------------ helpers

    private boolean run(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("a takes task failed", e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            LOG.warn("takes thread stopped: task dropped");
            return false;
        }
    }

    private <T> CompletableFuture<T> call(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (!run(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        })) {
            f.completeExceptionally(new TakeRefusal(503, TakeRefusal.BUSY, null, "the server is stopping"));
        }
        return f;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static short[] pcm(byte[] bytes) {
        short[] out = new short[bytes.length / 2];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    private static double seconds(long samples) {
        return Math.round(samples * 100.0 / TrackAlignment.SAMPLE_RATE) / 100.0;
    }

    private static String clip(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    /** Stops the takes thread after what is queued (chunks being written finish; open takes stay on disk). */
    @Override
    public void close() {
        analysis.shutdownNow(); // comparisons not done yet are dropped: their tracks keep no backup field
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }
}
