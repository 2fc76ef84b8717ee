package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Everything a client may send. Each message may carry a client message id {@code cid}: the server applies a
 * given id at most once per participant and answers with an {@code ack} naming it, so that a client can resend
 * whatever was not acknowledged before a reconnect without creating duplicates.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ClientMessage.Signal.class, name = "signal"),
        @JsonSubTypes.Type(value = ClientMessage.PushPrompt.class, name = "prompt"),
        @JsonSubTypes.Type(value = ClientMessage.Mark.class, name = "mark"),
        @JsonSubTypes.Type(value = ClientMessage.TimeSync.class, name = "time_sync"),
        @JsonSubTypes.Type(value = ClientMessage.TimeSyncReport.class, name = "time_sync_report"),
        @JsonSubTypes.Type(value = ClientMessage.Mute.class, name = "mute"),
        @JsonSubTypes.Type(value = ClientMessage.Kick.class, name = "kick"),
        @JsonSubTypes.Type(value = ClientMessage.Lock.class, name = "lock"),
        @JsonSubTypes.Type(value = ClientMessage.StartScene.class, name = "scene_start"),
        @JsonSubTypes.Type(value = ClientMessage.EndScene.class, name = "scene_end"),
        @JsonSubTypes.Type(value = ClientMessage.Leave.class, name = "leave"),
        @JsonSubTypes.Type(value = ClientMessage.MediaState.class, name = "media_state"),
})
public sealed interface ClientMessage {
    int MAX_PROMPT_CHARS = 2000;
    int MAX_META_BYTES = 2048;
    int MAX_REASON_CHARS = 200;
    int MAX_ID_CHARS = 64;
    long MAX_PROMPT_DURATION_MS = 3_600_000L;

    /** Client message id, optional. */
    String cid();

    /** The name of this message on the wire, also used as a metrics tag. */
    default String typeName() {
        return TypeNames.of(this);
    }

    /**
     * WebRTC signalling to exactly one peer of the same room: an SDP offer/answer or an ICE candidate. {@code data}
     * is relayed as the bytes received (see {@link RawJson}); the frame size limit bounds it.
     */
    record Signal(String cid, String to, SignalKind kind, RawJson data) implements ClientMessage {
        public Signal {
            Check.clientMessageId(cid);
            Check.text(to, "to", MAX_ID_CHARS);
            Check.required(kind, "kind");
            Check.required(data, "data");
        }
    }

    /** A moderator's prompt, delivered to every other member of the room. */
    record PushPrompt(String cid, String text, Long durationMs, ObjectNode meta) implements ClientMessage {
        public PushPrompt {
            Check.clientMessageId(cid);
            Check.text(text, "text", MAX_PROMPT_CHARS);
            if (durationMs != null && (durationMs <= 0 || durationMs > MAX_PROMPT_DURATION_MS)) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "durationMs",
                        "'durationMs' must be between 1 and " + MAX_PROMPT_DURATION_MS);
            }
            Check.finiteNumbers(meta, "meta");
            if (meta != null && ProtocolCodec.encodedSize(meta) > MAX_META_BYTES) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "meta",
                        "'meta' is larger than " + MAX_META_BYTES + " bytes once encoded");
            }
        }
    }

    /** An exchange mark from a performer, stamped with the client's own clock (microseconds since the epoch). */
    record Mark(String cid, MarkKind kind, Long clientTs) implements ClientMessage {
        public Mark {
            Check.clientMessageId(cid);
            Check.required(kind, "kind");
            Check.positive(clientTs, "clientTs");
        }
    }

    /** First half of an NTP-style exchange: the client's send time in microseconds of its own clock. */
    record TimeSync(String cid, Long clientTs) implements ClientMessage {
        public TimeSync {
            Check.clientMessageId(cid);
            Check.positive(clientTs, "clientTs");
        }
    }

    /**
     * Second half: the client returns the server's two stamps with its own receive time, so that the server
     * itself computes offset and round trip from four timestamps (and can check its own two).
     */
    record TimeSyncReport(String cid, Long clientTs, Long serverRecvTs, Long serverSendTs, Long clientRecvTs)
            implements ClientMessage {
        public TimeSyncReport {
            Check.clientMessageId(cid);
            Check.positive(clientTs, "clientTs");
            Check.positive(serverRecvTs, "serverRecvTs");
            Check.positive(serverSendTs, "serverSendTs");
            Check.positive(clientRecvTs, "clientRecvTs");
            if (serverSendTs < serverRecvTs) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "serverSendTs",
                        "'serverSendTs' is before 'serverRecvTs'");
            }
            if (clientRecvTs < clientTs) {
                throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "clientRecvTs",
                        "'clientRecvTs' is before 'clientTs'");
            }
        }
    }

    /** Moderator: ask a member's client to mute (or unmute) its microphone. */
    record Mute(String cid, String target, Boolean muted) implements ClientMessage {
        public Mute {
            Check.clientMessageId(cid);
            Check.text(target, "target", MAX_ID_CHARS);
            Check.required(muted, "muted");
        }
    }

    /** Moderator: remove a member from the room; the member may not come back with the same identity. */
    record Kick(String cid, String target, String reason) implements ClientMessage {
        public Kick {
            Check.clientMessageId(cid);
            Check.text(target, "target", MAX_ID_CHARS);
            Check.optionalText(reason, "reason", MAX_REASON_CHARS);
        }
    }

    /** Moderator: lock (no new members; moderators and resuming members still enter) or unlock the room. */
    record Lock(String cid, Boolean locked) implements ClientMessage {
        public Lock {
            Check.clientMessageId(cid);
            Check.required(locked, "locked");
        }
    }

    /** Moderator: start the next scene. */
    record StartScene(String cid, String title) implements ClientMessage {
        public StartScene {
            Check.clientMessageId(cid);
            Check.optionalText(title, "title", MAX_REASON_CHARS);
        }
    }

    /** Moderator: end the running scene. */
    record EndScene(String cid) implements ClientMessage {
        public EndScene {
            Check.clientMessageId(cid);
        }
    }

    /** Leave for good: no resume window, the roster slot is freed at once. */
    record Leave(String cid) implements ClientMessage {
        public Leave {
            Check.clientMessageId(cid);
        }
    }

    /**
     * A performer's report on its media connection to another performer ({@code peer}): its state and whether
     * picture and sound from that peer are arriving. Relayed to the room's moderators, so that a console shows
     * each pair as both pages see it; not a room event (nothing is logged).
     */
    record MediaState(String cid, String peer, MediaLinkState state, Boolean video, Boolean audio)
            implements ClientMessage {
        public MediaState {
            Check.clientMessageId(cid);
            Check.text(peer, "peer", MAX_ID_CHARS);
            Check.required(state, "state");
            Check.required(video, "video");
            Check.required(audio, "audio");
        }
    }
}
