package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Something that happened in a room. Every room event carries the room's {@code seq} (per room session,
 * starting at 1, gap-free, increasing), the server time {@code ts} in microseconds since the epoch, and the
 * {@code actor} who caused it ("server" for the server itself). Every member receives every room event, and
 * the session log stores exactly the bytes the members received, one event per line.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = RoomEvent.MemberJoined.class, name = "member_joined"),
        @JsonSubTypes.Type(value = RoomEvent.Presence.class, name = "presence"),
        @JsonSubTypes.Type(value = RoomEvent.MemberLeft.class, name = "member_left"),
        @JsonSubTypes.Type(value = RoomEvent.Prompt.class, name = "prompt"),
        @JsonSubTypes.Type(value = RoomEvent.MarkRecorded.class, name = "mark"),
        @JsonSubTypes.Type(value = RoomEvent.SceneStarted.class, name = "scene_started"),
        @JsonSubTypes.Type(value = RoomEvent.SceneEnded.class, name = "scene_ended"),
        @JsonSubTypes.Type(value = RoomEvent.Muted.class, name = "muted"),
        @JsonSubTypes.Type(value = RoomEvent.RoomLocked.class, name = "room_locked"),
        @JsonSubTypes.Type(value = RoomEvent.ClockMeasured.class, name = "clock"),
        @JsonSubTypes.Type(value = RoomEvent.RoomClosed.class, name = "room_closed"),
        @JsonSubTypes.Type(value = RoomEvent.ConsentRecorded.class, name = "consent"),
        @JsonSubTypes.Type(value = RoomEvent.ServerRestarted.class, name = "server_restarted"),
        @JsonSubTypes.Type(value = RoomEvent.TakeTrack.class, name = "take_track"),
        @JsonSubTypes.Type(value = RoomEvent.TakeEnded.class, name = "take_ended"),
        @JsonSubTypes.Type(value = RoomEvent.QcFlag.class, name = "qc_flag"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface RoomEvent extends ServerMessage {
    /** The actor of events the server causes by itself (timeouts, shutdown). */
    String SERVER = "server";

    long seq();

    long ts();

    String actor();

    /** A participant entered the room for the first time in this session. */
    record MemberJoined(long seq, long ts, String actor, Member member) implements RoomEvent {
    }

    /** A participant's connection dropped (resume window open) or came back. */
    record Presence(long seq, long ts, String actor, String id, boolean connected) implements RoomEvent {
    }

    /** A participant is gone: left, kicked, or did not come back within the resume window. */
    record MemberLeft(long seq, long ts, String actor, String id, String reason) implements RoomEvent {
    }

    /** A prompt pushed by a moderator. {@code scene} is the scene it was pushed in (0 = before any scene). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Prompt(long seq, long ts, String actor, String text, Long durationMs, ObjectNode meta, int scene)
            implements RoomEvent {
    }

    /**
     * An exchange mark. {@code clientTs} is the performer's own clock; {@code serverTs} is the client time moved
     * onto the server timeline by the performer's measured clock offset (absent until one was measured).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MarkRecorded(long seq, long ts, String actor, MarkKind kind, long clientTs, Long serverTs,
                        Long offsetUs, int scene) implements RoomEvent {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SceneStarted(long seq, long ts, String actor, int scene, String title) implements RoomEvent {
    }

    record SceneEnded(long seq, long ts, String actor, int scene) implements RoomEvent {
    }

    record Muted(long seq, long ts, String actor, String target, boolean muted) implements RoomEvent {
    }

    record RoomLocked(long seq, long ts, String actor, boolean locked) implements RoomEvent {
    }

    /** A participant's clock offset (server minus client) and round trip, as measured by the server. */
    record ClockMeasured(long seq, long ts, String actor, long offsetUs, long rttUs) implements RoomEvent {
    }

    /**
     * A performer's consent to be recorded, accepted in the lobby of {@code pool} before the match: the exact
     * consent text version and when (server µs). Written before the performer can join, so every recorded event
     * of theirs comes after it in the log.
     */
    record ConsentRecorded(long seq, long ts, String actor, String participant, String pool, int consentVersion,
                           long acceptedAt, String via) implements RoomEvent {
        /** A consent accepted in a lobby ({@code via} absent). */
        public ConsentRecorded(long seq, long ts, String actor, String participant, String pool, int consentVersion,
                               long acceptedAt) {
            this(seq, ts, actor, participant, pool, consentVersion, acceptedAt, null);
        }
    }

    /**
     * One performer's local track of a take, assembled on the server timeline when the take ended
     * (docs/recording.md): {@code file} (relative to the data directory) holds 48 kHz mono PCM whose first sample
     * was captured at server time {@code firstSampleServerUs}; {@code driftPpm} is the performer's audio clock
     * against the server's, {@code alignErrorUs} the estimated error of that placement. {@code complete} is false
     * when chunks are missing: {@code missing} names them (at most 100 indexes) and the track has silence there.
     * {@code video} lists the camera's WebM files (one per recording run) where the server records it
     * ({@code --take-video}); their placement is in the track's JSON.
     */
    record TakeTrack(long seq, long ts, String actor, String take, int scene, String participant, boolean complete,
                     int chunks, java.util.List<Integer> missing, long samples, Long firstSampleServerUs,
                     Double driftPpm, Long alignErrorUs, String file, java.util.List<String> video)
            implements RoomEvent {
    }

    /**
     * A take (the local recording of one scene) is closed: {@code complete} only when every chunk of every
     * consenting performer's track arrived; {@code incomplete} names the tracks that miss chunks, and
     * {@code notRecorded} the performers on stage who were not recorded, with the reason.
     */
    record TakeEnded(long seq, long ts, String actor, String take, int scene, boolean complete,
                     java.util.List<String> tracks, java.util.List<String> incomplete,
                     java.util.Map<String, String> notRecorded) implements RoomEvent {
    }

    /**
     * The server restarted and rebuilt this room from its log. {@code lastEventTs} is the time of the last event
     * before the restart: between the two, nothing was recorded (media may be missing). Every participant is
     * disconnected at this point and resumes with {@code lastSeq}. After a crash, {@code skippedFrom} ..
     * {@code skippedTo} (both inclusive; absent when nothing was skipped) are seqs that no event of the session
     * has: they were reserved before the crash, some may have been shown then and were not written, and they are
     * never given to another event. This event follows the one before {@code skippedFrom} directly.
     */
    record ServerRestarted(long seq, long ts, String actor, long lastEventTs, Long skippedFrom, Long skippedTo)
            implements RoomEvent {
    }

    /** The room session ended; no event follows. */
    record RoomClosed(long seq, long ts, String actor, String reason) implements RoomEvent {
    }

    /**
     * A live quality condition of a running take (scene {@code scene}) for one performer, computed by the server
     * from the timeline (docs/dataset.md, "Quality flags"): {@code raised} true when it starts to hold, false when it
     * stops holding. {@code value} is the measure at that moment and {@code threshold} the limit it was held against
     * (units per {@link QcFlagKind}). Raised once per condition, performer and take; cleared only on a real change.
     */
    record QcFlag(long seq, long ts, String actor, int scene, String participant, QcFlagKind flag, boolean raised,
                  double value, double threshold) implements RoomEvent {
    }
}
