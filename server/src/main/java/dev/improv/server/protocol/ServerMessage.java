package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * Everything the server sends. Room events (see {@link RoomEvent}) carry the room's gap-free {@code seq}; the
 * messages declared here are addressed to one connection only and carry no seq.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ServerMessage.Welcome.class, name = "welcome"),
        @JsonSubTypes.Type(value = ServerMessage.SignalRelay.class, name = "signal"),
        @JsonSubTypes.Type(value = ServerMessage.TimeSyncReply.class, name = "time_sync"),
        @JsonSubTypes.Type(value = ServerMessage.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = ServerMessage.Error.class, name = "error"),
        @JsonSubTypes.Type(value = ServerMessage.Notice.class, name = "notice"),
        // Room events: the names are listed once, on RoomEvent; Jackson collects subtypes of subtypes.
        @JsonSubTypes.Type(value = RoomEvent.class),
        @JsonSubTypes.Type(value = LobbyMessage.Welcome.class, name = "lobby_welcome"),
        @JsonSubTypes.Type(value = LobbyMessage.Queued.class, name = "lobby_queued"),
        @JsonSubTypes.Type(value = LobbyMessage.Offer.class, name = "lobby_offer"),
        @JsonSubTypes.Type(value = LobbyMessage.OfferEnded.class, name = "lobby_offer_ended"),
        @JsonSubTypes.Type(value = LobbyMessage.Matched.class, name = "lobby_matched"),
        @JsonSubTypes.Type(value = LobbyMessage.Left.class, name = "lobby_left"),
        @JsonSubTypes.Type(value = LobbyMessage.State.class, name = "lobby_state"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerMessage permits ServerMessage.Welcome, ServerMessage.SignalRelay,
        ServerMessage.TimeSyncReply, ServerMessage.Ack, ServerMessage.Error, ServerMessage.Notice, RoomEvent,
        LobbyMessage.Welcome, LobbyMessage.Queued, LobbyMessage.Offer, LobbyMessage.OfferEnded, LobbyMessage.Matched,
        LobbyMessage.Left, LobbyMessage.State {

    /** Protocol version, sent as {@code v} in the welcome. Bumped on any incompatible change. */
    int PROTOCOL_VERSION = 1;

    default String typeName() {
        return TypeNames.of(this);
    }

    /**
     * First message on every connection. {@code seq} is the last seq of the room at the time of joining: the
     * next room event this connection receives is {@code seq + 1}, or, when resuming, the first missed one.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Welcome(int v, String server, Member you, RoomState room, List<Member> roster, long serverTs, long seq,
                   boolean resumed, Long replayFrom, Limits limits) implements ServerMessage {
    }

    /**
     * A participant as others see it. {@code capabilities} (absent when none) come from its join token: a member
     * with {@link Capability#MEDIA} is the room's media recorder.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Member(String id, String name, Role role, boolean connected, boolean muted, List<Capability> capabilities) {
        public Member {
            // unknown ones (null: a newer server's) are left out, as unknown fields are
            capabilities = capabilities == null ? null
                    : capabilities.stream().filter(java.util.Objects::nonNull).distinct().toList();
            capabilities = capabilities == null || capabilities.isEmpty() ? null : capabilities;
        }

        /** A member without capabilities. */
        public Member(String id, String name, Role role, boolean connected, boolean muted) {
            this(id, name, role, connected, muted, null);
        }

        public boolean has(Capability capability) {
            return capabilities != null && capabilities.contains(capability);
        }
    }

    /** The room's current state, enough to draw a screen without replaying history. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RoomState(String id, String name, String session, boolean locked, int scene, boolean sceneActive,
                     String sceneTitle, RoomEvent.Prompt prompt) {
    }

    /** Limits that apply to this connection, so that clients can stay inside them. */
    record Limits(int maxMessageBytes, int messagesPerSecond, long resumeWindowMs) {
    }

    /** Signalling from {@code from}, relayed to this connection only. */
    record SignalRelay(String from, SignalKind kind, RawJson data) implements ServerMessage {
    }

    /** Reply to {@code time_sync}: the client's stamp echoed, the server's receive and send stamps (µs). */
    record TimeSyncReply(long clientTs, long serverRecvTs, long serverSendTs) implements ServerMessage {
    }

    /**
     * The message with client id {@code cid} was applied. For a message that produced a room event,
     * {@code eventSeq} names it, and the ack is sent only once that event is durable in the session log. Not
     * {@code seq}: a message with a {@code seq} is a room event, so clients tell the two apart by that alone.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Ack(String cid, Long eventSeq, boolean duplicate) implements ServerMessage {
    }

    /** A refusal: a code, the offending field (when one is to blame), a sentence for people, and the cid. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(ErrorCode code, String field, String message, String cid) implements ServerMessage {
    }

    /** Operational news for moderators (e.g. the session log cannot be written). Not a room event. */
    record Notice(String level, String code, String message) implements ServerMessage {
    }
}
