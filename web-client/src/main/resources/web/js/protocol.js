// GENERATED from the Java records in server/src/main/java/dev/improv/server/protocol/ by
// dev.improv.server.protocol.ProtocolArtifacts. Do not edit: ProtocolArtifactsTest fails when this file
// differs from what the records generate. Regenerate (also docs/schemas/) with:
//   mvn -B -q -o -pl server -am test -Dtest=ProtocolArtifactsTest -Dprotocol.regenerate=true \
//       -Dsurefire.failIfNoSpecifiedTests=false
// The protocol itself is described in docs/protocol.md.

/** Protocol version, the welcome's `v`. */
export const PROTOCOL_VERSION = 1;

/** Client to server on a room connection. */
export const CLIENT_MESSAGE_TYPES = deepFreeze(["signal", "prompt", "mark", "time_sync", "time_sync_report", "mute", "kick", "lock",
  "scene_start", "scene_end", "leave", "media_state"]);

/** Server to one room connection, without seq (acks included). */
export const SERVER_MESSAGE_TYPES = deepFreeze(["welcome", "signal", "time_sync", "ack", "error", "notice", "media_state"]);

/** Room events: the messages that carry the room's gap-free seq (and go into the session log). */
export const ROOM_EVENT_TYPES = deepFreeze(["member_joined", "presence", "member_left", "prompt", "mark", "scene_started", "scene_ended",
  "muted", "room_locked", "clock", "room_closed", "consent", "server_restarted", "take_track",
  "take_ended", "qc_flag"]);

/** Server to one lobby connection. */
export const LOBBY_MESSAGE_TYPES = deepFreeze(["lobby_welcome", "lobby_queued", "lobby_offer", "lobby_offer_ended", "lobby_matched",
  "lobby_left", "lobby_state"]);

/** Client to server on a lobby connection. */
export const LOBBY_REQUEST_TYPES = deepFreeze(["lobby_join", "lobby_leave", "lobby_accept", "lobby_decline"]);

/** Roles, fixed by the join token. */
export const ROLES = deepFreeze(["performer", "moderator", "recorder", "observer"]);

/** Capabilities a join token may grant beyond the role, announced in members' `capabilities` (media: the room's media recorder). */
export const CAPABILITIES = deepFreeze(["media"]);

/** Signal kinds. */
export const SIGNAL_KINDS = deepFreeze(["offer", "answer", "ice"]);

/** Reconnect back-off of every client (ReconnectRules): attempt n waits a random time in [c/2, c], c = min(maxDelayMs, minDelayMs * 2^min(n-1, maxDoublings)). */
export const RECONNECT = deepFreeze({
  minDelayMs: 500,
  maxDelayMs: 10000,
  maxDoublings: 6,
});

/** Mark kinds. */
export const MARK_KINDS = deepFreeze(["turn_start", "turn_end", "speaking_start", "speaking_stop"]);

/** Media link states of media_state. */
export const MEDIA_LINK_STATES = deepFreeze(["connecting", "connected", "interrupted", "failed"]);

/** Quality conditions of qc_flag. */
export const QC_FLAGS = deepFreeze(["mostly_silent", "talks_over", "long_silence", "dominates", "slow_turns", "muted_long",
  "reconnects"]);

/** Every error code: the WebSocket close code when the error ends the connection (null: it stays open), and whether trying again later may succeed (reconnecting by itself, or resending). */
export const ERROR_CODES = deepFreeze({
  BAD_JSON: {"closeCode":null,"retryable":false},
  UNKNOWN_TYPE: {"closeCode":null,"retryable":false},
  MISSING_FIELD: {"closeCode":null,"retryable":false},
  INVALID_FIELD: {"closeCode":null,"retryable":false},
  MESSAGE_TOO_LARGE: {"closeCode":null,"retryable":false},
  UNSUPPORTED_FRAME: {"closeCode":null,"retryable":false},
  RATE_LIMITED: {"closeCode":null,"retryable":true},
  NOT_AUTHORIZED: {"closeCode":null,"retryable":false},
  UNKNOWN_PEER: {"closeCode":null,"retryable":true},
  SCENE_STATE: {"closeCode":null,"retryable":false},
  REPLAY_UNAVAILABLE: {"closeCode":null,"retryable":true},
  LOG_UNAVAILABLE: {"closeCode":null,"retryable":true},
  LOG_BACKLOG: {"closeCode":null,"retryable":false},
  CONSENT_REQUIRED: {"closeCode":null,"retryable":false},
  OFFER_UNAVAILABLE: {"closeCode":null,"retryable":false},
  TOKEN_INVALID: {"closeCode":4401,"retryable":false},
  TOKEN_EXPIRED: {"closeCode":4402,"retryable":false},
  TOKEN_WRONG_ROOM: {"closeCode":4403,"retryable":false},
  ROOM_NOT_FOUND: {"closeCode":4404,"retryable":false},
  ROOM_FULL: {"closeCode":4405,"retryable":false},
  ROLE_FULL: {"closeCode":4406,"retryable":false},
  ROOM_LOCKED: {"closeCode":4407,"retryable":false},
  KICKED: {"closeCode":4408,"retryable":false},
  SLOW_CONSUMER: {"closeCode":4409,"retryable":true},
  JOIN_TIMEOUT: {"closeCode":4410,"retryable":true},
  IDLE_TIMEOUT: {"closeCode":4411,"retryable":true},
  REPLACED: {"closeCode":4412,"retryable":false},
  ROOM_CLOSED: {"closeCode":4413,"retryable":false},
  LEFT: {"closeCode":4414,"retryable":false},
  POOL_NOT_FOUND: {"closeCode":4415,"retryable":false},
  TOO_MANY_CONNECTIONS: {"closeCode":4429,"retryable":true},
  PROTOCOL_ERROR: {"closeCode":1002,"retryable":true},
  INVALID_UTF8: {"closeCode":1007,"retryable":true},
  FRAME_TOO_LARGE: {"closeCode":1009,"retryable":true},
  INPUT_BUDGET: {"closeCode":1013,"retryable":true},
  HTTP_TIMEOUT: {"closeCode":null,"retryable":true},
  SERVER_SHUTDOWN: {"closeCode":1001,"retryable":true},
  INTERNAL: {"closeCode":1011,"retryable":true},
});

/** WebSocket close codes by error code name. */
export const CLOSE_CODES = deepFreeze({
  TOKEN_INVALID: 4401,
  TOKEN_EXPIRED: 4402,
  TOKEN_WRONG_ROOM: 4403,
  ROOM_NOT_FOUND: 4404,
  ROOM_FULL: 4405,
  ROLE_FULL: 4406,
  ROOM_LOCKED: 4407,
  KICKED: 4408,
  SLOW_CONSUMER: 4409,
  JOIN_TIMEOUT: 4410,
  IDLE_TIMEOUT: 4411,
  REPLACED: 4412,
  ROOM_CLOSED: 4413,
  LEFT: 4414,
  POOL_NOT_FOUND: 4415,
  TOO_MANY_CONNECTIONS: 4429,
  PROTOCOL_ERROR: 1002,
  INVALID_UTF8: 1007,
  FRAME_TOO_LARGE: 1009,
  INPUT_BUDGET: 1013,
  SERVER_SHUTDOWN: 1001,
  INTERNAL: 1011,
});

/** Field limits of client messages, by message type and field (cid: of every room message), in JSON Schema words (x-maxEncodedBytes: bytes once encoded as JSON). */
export const LIMITS = deepFreeze({
  cid: {"minLength":1,"maxLength":64},
  signal: {
    to: {"minLength":1,"maxLength":64,"pattern":"\\S"},
  },
  prompt: {
    text: {"minLength":1,"maxLength":2000,"pattern":"\\S"},
    durationMs: {"minimum":1,"maximum":3600000},
    meta: {"x-maxEncodedBytes":2048},
  },
  mark: {
    clientTs: {"minimum":1,"maximum":9007199254740991},
  },
  time_sync: {
    clientTs: {"minimum":1,"maximum":9007199254740991},
  },
  time_sync_report: {
    clientTs: {"minimum":1,"maximum":9007199254740991},
    serverRecvTs: {"minimum":1,"maximum":9007199254740991},
    serverSendTs: {"minimum":1,"maximum":9007199254740991},
    clientRecvTs: {"minimum":1,"maximum":9007199254740991},
  },
  mute: {
    target: {"minLength":1,"maxLength":64,"pattern":"\\S"},
  },
  kick: {
    target: {"minLength":1,"maxLength":64,"pattern":"\\S"},
    reason: {"minLength":1,"maxLength":200,"pattern":"\\S"},
  },
  scene_start: {
    title: {"minLength":1,"maxLength":200,"pattern":"\\S"},
  },
  media_state: {
    peer: {"minLength":1,"maxLength":64,"pattern":"\\S"},
  },
  lobby_join: {
    languages: {"minItems":1,"maxItems":16,"items":{"type":"string","minLength":1,"maxLength":40,"pattern":"\\S"}},
    tags: {"minItems":0,"maxItems":16,"items":{"type":"string","minLength":1,"maxLength":40,"pattern":"\\S"}},
    avoid: {"minItems":0,"maxItems":16,"items":{"type":"string","minLength":1,"maxLength":40,"pattern":"\\S"}},
  },
  lobby_accept: {
    offerId: {"minLength":1,"maxLength":64,"pattern":"\\S"},
  },
  lobby_decline: {
    offerId: {"minLength":1,"maxLength":64,"pattern":"\\S"},
  },
});

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
