package dev.improv.server.take.http;

import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.TokenService;
import dev.improv.server.http.ApiDoc;
import dev.improv.server.http.ApiError;
import dev.improv.server.http.HttpExchange;
import dev.improv.server.http.Route;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.protocol.Role;
import dev.improv.server.take.ChunkMeta;
import dev.improv.server.take.TakeAnswers;
import dev.improv.server.take.TakeRefusal;
import dev.improv.server.take.Takes;
import dev.improv.server.take.VideoChunkMeta;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The routes of local takes, all with a join token in {@code ?token=} (no admin key: pages call them): the chunk
 * upload ({@code PUT}, one request per chunk, the PCM bytes as the body), the take status (the console) and the
 * stage consent. The handlers read the token and the parameters on the I/O thread; {@link Takes} does the rest on
 * its own thread and the answer is written from there.
 */
public final class TakeRoutes {
    /** The content type of a chunk's body: 16-bit little-endian PCM, 48 kHz, mono. */
    public static final String PCM = "application/octet-stream";
    /** The content type of a camera chunk's body: bytes of a WebM stream. */
    public static final String WEBM = "video/webm";
    private static final Pattern MIME_TYPE = Pattern.compile("video/[a-z0-9.+-]{1,32}(;[ ]?codecs=[a-z0-9.,\\-]{1,64})?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final long MAX_SAFE = (1L << 53) - 1;

    /** {@code POST /api/stage/consent}: the performer's answer to the consent text of this version. */
    public record ConsentAnswer(Integer version, Boolean agree) {
        public ConsentAnswer {
            if (version == null) {
                throw new ProtocolViolation(ErrorCode.MISSING_FIELD, "version", "'version' is required: the consent "
                        + "text's version the performer answers");
            }
            if (agree == null) {
                throw new ProtocolViolation(ErrorCode.MISSING_FIELD, "agree", "'agree' is required: true or false");
            }
        }
    }

    private final TokenService tokens;
    private final Takes takes;

    public TakeRoutes(TokenService tokens, Takes takes) {
        this.tokens = tokens;
        this.takes = takes;
    }

    public List<Route> routes() {
        return List.of(
                new Route(HttpMethod.PUT, "/api/takes/{take}/tracks/{participant}/chunks/{index}", Route.Access.PUBLIC,
                        this::upload).documented(ApiDoc.of("Upload one chunk of a performer's local take")
                        .describe("The body is the chunk's PCM: 16-bit little-endian, 48 kHz, mono (about half a "
                                + "second). Idempotent: the same chunk again is answered 200 with `duplicate` and "
                                + "changes nothing. Answered only once the chunk is on disk (fsync). `take` is "
                                + "`<room>-<scene>`; `participant` must be the token's own. See docs/recording.md.")
                        .rawBody(PCM)
                        .query("token", true, "the performer's join token")
                        .query("sha256", true, "SHA-256 of the body, lowercase hex")
                        .query("sample", true, "index of the chunk's first sample within its segment")
                        .query("clientUs", true, "the page's clock (µs since the epoch) at the first sample")
                        .query("segment", false, "the page's capture run (a new one after a reload); default 0")
                        .query("offsetUs", false, "the page's clock offset estimate, server minus page (µs)")
                        .query("rttUs", false, "the round trip of that estimate (µs)")
                        .query("last", false, "`true` on the take's last chunk of this track")
                        .query("recorded", false, "samples the page has recorded of this take so far")
                        .query("capture", false, "where the samples and stamps came from: `processor` "
                                + "(MediaStreamTrackProcessor, the device's timestamps) or `worklet` (the fallback)")
                        .answers(201, "stored durably", TakeAnswers.ChunkStored.class)
                        .answers(200, "already stored (a retry): nothing changed", TakeAnswers.ChunkStored.class)
                        .fails(400, "a parameter or the body is wrong (`INVALID_FIELD`/`MISSING_FIELD` naming it): "
                                + "hash mismatch, index out of order, samples not contiguous, odd length")
                        .fails(403, "another performer's track, not a performer, another room's token, or no "
                                + "recording consent (`CONSENT_REQUIRED`)")
                        .and(TakeRoutes::chunkRefusals)),
                new Route(HttpMethod.PUT, "/api/takes/{take}/tracks/{participant}/video/{index}",
                        Route.Access.PUBLIC, this::uploadVideo).documented(ApiDoc.of("Upload one chunk of a "
                                + "performer's camera recording (servers with `--take-video`)")
                        .describe("The body is the next bytes of the WebM stream that the page's MediaRecorder "
                                + "makes (at most `--take-max-chunk-bytes`; a longer blob goes up as several chunks). "
                                + "The chunks of one recording run (`segment`), in index order, are that stream; the "
                                + "server writes them as one WebM file per run when the take ends, placed on the "
                                + "server timeline by the run's `startUs` and the page's clock offset. Idempotent as "
                                + "the microphone's chunks; answered only once the chunk is on disk (fsync). See "
                                + "docs/recording.md.")
                        .rawBody(WEBM)
                        .query("token", true, "the performer's join token")
                        .query("sha256", true, "SHA-256 of the body, lowercase hex")
                        .query("offset", true, "the chunk's first byte within its segment's stream")
                        .query("startUs", true, "the page's clock (µs since the epoch) when the segment's recording "
                                + "started (the same for every chunk of a segment)")
                        .query("untilMs", false, "how much of the segment (ms since its start) the page had "
                                + "recorded when it cut this chunk")
                        .query("segment", false, "the recording run (a new one after a reload); default 0")
                        .query("offsetUs", false, "the page's clock offset estimate, server minus page (µs)")
                        .query("rttUs", false, "the round trip of that estimate (µs)")
                        .query("last", false, "`true` on the take's last camera chunk of this track")
                        .query("mimeType", false, "what the MediaRecorder made, e.g. `video/webm;codecs=vp8`")
                        .answers(201, "stored durably", TakeAnswers.ChunkStored.class)
                        .answers(200, "already stored (a retry): nothing changed", TakeAnswers.ChunkStored.class)
                        .fails(400, "a parameter or the body is wrong (`INVALID_FIELD`/`MISSING_FIELD` naming it): "
                                + "hash mismatch, index out of order, bytes not contiguous, empty body")
                        .fails(403, "the server records no camera (`NOT_AUTHORIZED`, field `video`), another "
                                + "performer's track, not a performer, another room's token, or no recording "
                                + "consent (`CONSENT_REQUIRED`)")
                        .and(TakeRoutes::chunkRefusals)),
                Route.get("/api/takes/status", Route.Access.PUBLIC, this::status)
                        .documented(ApiDoc.of("The room's latest take: per performer consent and seconds recorded, "
                                + "uploaded and pending")
                                .query("token", true, "a join token of the room (the console's, or a performer's)")
                                .answers(200, "the status", TakeAnswers.Status.class)
                                .fails(401, "the token is missing, forged or expired")),
                Route.get("/api/stage/consent", Route.Access.PUBLIC, this::consent)
                        .documented(ApiDoc.of("The room's stage consent text and this performer's answer")
                                .query("token", true, "the performer's join token")
                                .answers(200, "the text, its version and the answer so far", TakeAnswers.Consent.class)
                                .fails(401, "the token is missing, forged or expired")
                                .fails(403, "not a performer's token")),
                Route.post("/api/stage/consent", Route.Access.PUBLIC, this::answerConsent)
                        .documented(ApiDoc.of("Answer the stage consent: agreeing writes the room's `consent` "
                                        + "event, a refusal a line of the room's `declines.jsonl` (kept over a restart); "
                                        + "nothing is recorded of a performer before an agreement")
                                .query("token", true, "the performer's join token")
                                .body(ConsentAnswer.class, "version", "agree")
                                .answers(200, "the answer as recorded", TakeAnswers.Consent.class)
                                .fails(401, "the token is missing, forged or expired")
                                .fails(403, "not a performer's token")
                                .fails(404, "the room is not open (`ROOM_NOT_FOUND`)")
                                .fails(409, "another version of the text is current (`CONSENT_REQUIRED`)")
                                .fails(503, "the refusal could not be written to disk (`STORAGE_FAILED`); nothing is "
                                        + "recorded either way")));
    }

    private void upload(HttpExchange ex) {
        JoinClaims who = roomToken(ex);
        int index = (int) number(ex, "index", ex.param("index"), 0, 10_000_000, true);
        String sha = sha256(ex);
        long sample = number(ex, "sample", ex.query("sample"), 0, MAX_SAFE, true);
        long clientUs = number(ex, "clientUs", ex.query("clientUs"), 1, MAX_SAFE, true);
        int segment = (int) number(ex, "segment", ex.query("segment"), 0, 1000, false);
        long offsetUs = offsetUs(ex);
        long rttUs = rttUs(ex);
        long recorded = ex.query("recorded") == null ? -1 : number(ex, "recorded", ex.query("recorded"), 0, MAX_SAFE,
                true);
        boolean last = last(ex);
        String capture = ex.query("capture");
        if (capture != null && !ChunkMeta.CAPTURES.contains(capture)) {
            throw ApiError.invalid("capture", "'capture' must be processor or worklet");
        }
        byte[] body = ex.body();
        ChunkMeta meta = new ChunkMeta(index, segment, sample, body.length / 2, clientUs, offsetUs, rttUs, sha,
                last, capture);
        answer(ex, takes.upload(who.room(), who.pid(), who.role(), ex.param("take"), ex.param("participant"), meta,
                body, recorded), stored -> ex.json(stored.duplicate() ? HttpResponseStatus.OK
                : HttpResponseStatus.CREATED, stored));
    }

    /** The refusals both chunk uploads share (the microphone's and the camera's). */
    private static ApiDoc chunkRefusals(ApiDoc doc) {
        return doc.fails(401, "the token is missing, forged or expired")
                .fails(404, "no such take (`TAKE_NOT_FOUND`)")
                .fails(409, "the take is closed (`TAKE_CLOSED`), or this index is stored with other content "
                        + "(`CHUNK_CONFLICT`)")
                .fails(413, "the body is over `--take-max-chunk-bytes` (`MESSAGE_TOO_LARGE`)")
                .fails(503, "busy or the disk failed (`BUSY`, `STORAGE_FAILED`): send it again later")
                .fails(507, "past the take's or the server's disk quota (`QUOTA_EXCEEDED`)");
    }

    private void uploadVideo(HttpExchange ex) {
        JoinClaims who = roomToken(ex);
        int index = (int) number(ex, "index", ex.param("index"), 0, 10_000_000, true);
        String sha = sha256(ex);
        long offset = number(ex, "offset", ex.query("offset"), 0, MAX_SAFE, true);
        long startUs = number(ex, "startUs", ex.query("startUs"), 1, MAX_SAFE, true);
        long untilMs = number(ex, "untilMs", ex.query("untilMs"), 0, 86_400_000, false);
        int segment = (int) number(ex, "segment", ex.query("segment"), 0, 1000, false);
        long offsetUs = offsetUs(ex);
        long rttUs = rttUs(ex);
        boolean last = last(ex);
        String mimeType = ex.query("mimeType");
        if (mimeType != null && !MIME_TYPE.matcher(mimeType).matches()) {
            throw ApiError.invalid("mimeType", "'mimeType' must be a video type such as video/webm;codecs=vp8");
        }
        byte[] body = ex.body();
        VideoChunkMeta meta = new VideoChunkMeta(index, segment, offset, body.length, startUs, untilMs, offsetUs,
                rttUs, sha, last, mimeType == null ? WEBM : mimeType);
        answer(ex, takes.uploadVideo(who.room(), who.pid(), who.role(), ex.param("take"), ex.param("participant"),
                meta, body), stored -> ex.json(stored.duplicate() ? HttpResponseStatus.OK
                : HttpResponseStatus.CREATED, stored));
    }

    /** The page's clock offset estimate (server minus page), 0 when not given. */
    private static long offsetUs(HttpExchange ex) {
        return number(ex, "offsetUs", ex.query("offsetUs"), -MAX_SAFE / 2, MAX_SAFE / 2, false);
    }

    /** The round trip of that estimate; not given: a minute (the estimate is then the least trusted). */
    private static long rttUs(HttpExchange ex) {
        String rtt = ex.query("rttUs");
        return rtt == null ? 60_000_000 : number(ex, "rttUs", rtt, 0, 60_000_000, true);
    }

    private static String sha256(HttpExchange ex) {
        String sha = ex.query("sha256");
        if (sha == null) {
            throw missing("sha256");
        }
        if (!SHA256.matcher(sha).matches()) {
            throw ApiError.invalid("sha256", "'sha256' must be 64 lowercase hex digits");
        }
        return sha;
    }

    private static boolean last(HttpExchange ex) {
        String last = ex.query("last");
        if (last != null && !last.equals("true") && !last.equals("false")) {
            throw ApiError.invalid("last", "'last' must be true or false");
        }
        return "true".equals(last);
    }

    private void status(HttpExchange ex) {
        JoinClaims who = roomToken(ex);
        answer(ex, takes.status(who.room()), s -> ex.json(HttpResponseStatus.OK, s));
    }

    private void consent(HttpExchange ex) {
        JoinClaims who = performer(ex);
        answer(ex, takes.consent(who.room(), who.pid()), c -> ex.json(HttpResponseStatus.OK, c));
    }

    private void answerConsent(HttpExchange ex) {
        JoinClaims who = performer(ex);
        ConsentAnswer body = ex.body(ConsentAnswer.class);
        answer(ex, takes.answerConsent(who.room(), who.pid(), body.version(), body.agree()),
                c -> ex.json(HttpResponseStatus.OK, c));
    }

    private JoinClaims roomToken(HttpExchange ex) {
        JoinClaims who = ex.joinToken(tokens);
        if (who.room() == null) {
            throw new ApiError.Failure(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                    "a room's join token is needed, not a lobby link"));
        }
        return who;
    }

    private JoinClaims performer(HttpExchange ex) {
        JoinClaims who = roomToken(ex);
        if (who.role() != Role.PERFORMER) {
            throw new ApiError.Failure(HttpResponseStatus.FORBIDDEN, ApiError.of(ErrorCode.NOT_AUTHORIZED, "token",
                    "only performers give recording consent"));
        }
        return who;
    }

    /** Answers with the value, or the refusal the takes thread gave, in the API's error shape. */
    private static <T> void answer(HttpExchange ex, CompletionStage<T> stage, java.util.function.Consumer<T> onValue) {
        ex.reply(stage.exceptionally(failure -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof TakeRefusal r) {
                throw new ApiError.Failure(HttpResponseStatus.valueOf(r.status()), new ApiError(r.code(), r.field(),
                        r.getMessage()));
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        }), onValue);
    }

    private static long number(HttpExchange ex, String field, String text, long min, long max, boolean required) {
        if (text == null) {
            if (required) {
                throw missing(field);
            }
            return 0;
        }
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ApiError.invalid(field, "'" + field + "' must be a whole number");
        }
        if (v < min || v > max) {
            throw ApiError.invalid(field, "'" + field + "' must be " + min + ".." + max);
        }
        return v;
    }

    private static ApiError.Failure missing(String field) {
        return new ApiError.Failure(HttpResponseStatus.BAD_REQUEST, ApiError.of(ErrorCode.MISSING_FIELD, field,
                "'" + field + "' is required"));
    }
}
