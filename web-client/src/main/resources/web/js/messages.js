// Human sentences for the server's error codes, and small formatting helpers shared by the pages.

import { ERROR_CODES, LIMITS as PROTOCOL_LIMITS } from './protocol.js';

/** What went wrong and what to do, for refusals that end the connection (see protocol/ErrorCode.java). */
export const FATAL_TEXT = {
  TOKEN_INVALID: 'This link is not valid (it may be cut short). Copy the whole link again, or ask the moderator for a new one.',
  TOKEN_EXPIRED: 'This link has expired. Ask the moderator or the studio for a new link.',
  TOKEN_WRONG_ROOM: 'This link belongs to another room. Check that you opened the link you were sent.',
  ROOM_NOT_FOUND: 'This room does not exist or has already ended. Ask the moderator for a current link.',
  ROOM_FULL: 'The room is full. Ask the moderator to make room, then reload this page.',
  ROLE_FULL: 'There is no free place for your role in this room. Ask the moderator, then reload this page.',
  ROOM_LOCKED: 'The room is locked. Ask the moderator to unlock it, then press "Try again".',
  KICKED: 'A moderator removed you from this room. This link cannot be used again; talk to the moderator if this was a mistake.',
  REPLACED: 'You opened this link somewhere else (another tab or device), so this page was disconnected. Close this tab, or reload it to take over again.',
  ROOM_CLOSED: 'This room has ended. Thank you!',
  LEFT: 'You left the room. Reload this page to come back.',
  POOL_NOT_FOUND: 'This open call does not exist or has ended. Ask the studio for a current link.',
};

/** Close code -> error code name, for the codes that are final: reconnecting would only be refused again. */
export const FATAL_CLOSE_CODES = Object.fromEntries(Object.entries(ERROR_CODES)
  .filter(([, e]) => e.closeCode !== null && !e.retryable).map(([name, e]) => [e.closeCode, name]));

export const CAMERA_TEXT = {
  NotAllowedError: 'Your browser blocked the camera and microphone. Allow them for this site (the camera icon in the address bar), then reload the page.',
  NotFoundError: 'No camera or microphone was found. Plug one in (or close other apps that use it), then reload the page.',
  NotReadableError: 'The camera or microphone is busy in another application. Close that application, then reload the page.',
  OverconstrainedError: 'Your camera does not support the requested settings. Try another camera, then reload the page.',
  SecurityError: 'The camera needs a secure page (https). Ask the studio for an https link.',
};

/** The server's input limits the pages check before sending (from the generated protocol.js). */
export const LIMITS = Object.freeze({ promptChars: PROTOCOL_LIMITS.prompt.text.maxLength,
  promptDurationMs: PROTOCOL_LIMITS.prompt.durationMs.maximum });

const ACTION_WORDS = {
  prompt: (m) => `your prompt “${String(m.text || '').slice(0, 40)}${String(m.text || '').length > 40 ? '…' : ''}”`,
  mute: (m, nameOf) => `${m.muted ? 'muting' : 'unmuting'} ${nameOf(m.target)}`,
  kick: (m, nameOf) => `removing ${nameOf(m.target)}`,
  lock: (m) => (m.locked ? 'locking the room' : 'unlocking the room'),
  scene_start: () => 'starting a scene',
  scene_end: () => 'ending the scene',
  mark: () => 'your mark',
};

/** "The server refused your prompt “…”: 'durationMs' must be …" — what was refused, and why. */
export function refusalText(error, message, nameOf = (id) => id) {
  const what = message && ACTION_WORDS[message.type] ? ACTION_WORDS[message.type](message, nameOf) : 'that';
  const why = error.code === 'RATE_LIMITED' ? 'too many actions at once; wait a moment and try again'
    : error.message || error.code;
  return `The server refused ${what}: ${why}.`;
}

/**
 * The media state of a connection in words a person understands, and a kind for its colour
 * (connected | connecting | closed). media: the last stats with videoFlowing/audioFlowing, when known.
 */
export function mediaWords(member, peer, media) {
  const name = member ? member.name : 'them';
  if (member && !member.connected) return { text: `${name} is away`, kind: 'reconnecting' };
  if (!peer) return { text: 'Waiting to connect', kind: 'connecting' };
  const s = peer.pc.connectionState;
  if (s === 'connected') {
    if (!media) return { text: 'Connected', kind: 'connected' };
    if (media.videoFlowing && media.audioFlowing) return { text: 'Picture and sound', kind: 'connected' };
    if (media.videoFlowing) return { text: 'Picture, no sound', kind: 'connecting' };
    if (media.audioFlowing) return { text: 'Sound, no picture', kind: 'connecting' };
    return { text: 'Connected, nothing arriving yet', kind: 'connecting' };
  }
  if (s === 'disconnected') return { text: 'Connection interrupted, recovering…', kind: 'reconnecting' };
  if (s === 'failed') return { text: 'No connection, trying again…', kind: 'closed' };
  return { text: 'Connecting…', kind: 'connecting' };
}

/** Picture or sound counts as arriving when its counter grew within this long (a loaded machine stalls for a second). */
export const FLOWING_WINDOW_MS = 3000;

/**
 * The next media reading of a peer from its new stats: videoFlowing / audioFlowing when frames decoded / audio
 * bytes received moved within FLOWING_WINDOW_MS (so that one slow second does not flip the words back and forth).
 */
export function flowing(before, stats, now = Date.now()) {
  // a counter that changed and is not zero moved on (a replaced connection starts again from 0)
  const moved = (key) => !!before && stats[key] > 0 && stats[key] !== before[key];
  const videoAt = moved('framesDecoded') ? now : before ? before.videoAt : null;
  const audioAt = moved('audioBytesReceived') ? now : before ? before.audioAt : null;
  return { ...stats, videoAt, audioAt, videoFlowing: videoAt !== null && now - videoAt < FLOWING_WINDOW_MS,
    audioFlowing: audioAt !== null && now - audioAt < FLOWING_WINDOW_MS };
}

/**
 * A peer connection's state as media_state reports it: connecting | connected | interrupted (was connected, lost
 * the path) | failed.
 */
export function linkState(connectionState, connectedOnce) {
  if (connectionState === 'connected') return 'connected';
  if (connectionState === 'failed') return 'failed';
  if (connectionState === 'disconnected') return connectedOnce ? 'interrupted' : 'connecting';
  return 'connecting';
}

/** What `viewer`'s page gets from `peer` (names), from viewer's media_state about peer (or none yet). */
export function directionWords(viewer, peer, report) {
  if (!report) return { text: `${viewer}: no report yet`, kind: 'connecting' };
  if (report.state === 'connected') {
    if (report.video && report.audio) return { text: `${viewer} sees and hears ${peer}`, kind: 'connected' };
    if (report.video) return { text: `${viewer} sees ${peer} but hears nothing`, kind: 'connecting' };
    if (report.audio) return { text: `${viewer} hears ${peer} but sees nothing`, kind: 'connecting' };
    return { text: `${viewer} is connected to ${peer}, nothing arriving yet`, kind: 'connecting' };
  }
  if (report.state === 'interrupted') return { text: `${viewer} lost ${peer}, recovering…`, kind: 'reconnecting' };
  if (report.state === 'failed') return { text: `${viewer} cannot reach ${peer}, trying again…`, kind: 'closed' };
  return { text: `${viewer} is connecting to ${peer}…`, kind: 'connecting' };
}

/**
 * A performer pair as both their pages report it: a summary with a colour kind, and one sentence per direction.
 * a, b: members; ab: a's report about b; ba: b's about a.
 */
export function pairWords(a, b, ab, ba) {
  if (!a.connected || !b.connected) {
    const away = [a, b].filter((m) => !m.connected).map((m) => m.name).join(' and ');
    return { text: `${away} ${away.includes(' and ') ? 'are' : 'is'} away`, short: 'away', kind: 'reconnecting', details: [] };
  }
  const details = [directionWords(a.name, b.name, ab), directionWords(b.name, a.name, ba)];
  const states = [ab, ba].map((r) => (r ? r.state : 'unknown'));
  const full = (r) => r && r.state === 'connected' && r.video && r.audio;
  let summary;
  if (full(ab) && full(ba)) summary = { text: 'Connected: picture and sound both ways', short: 'all good', kind: 'connected' };
  else if (states.includes('failed')) summary = { text: 'No connection: their pages are trying again', short: 'no connection', kind: 'closed' };
  else if (states.includes('interrupted')) summary = { text: 'Connection interrupted, recovering…', short: 'interrupted', kind: 'reconnecting' };
  else if (states.every((s) => s === 'connected')) summary = { text: 'Connected, but something is missing', short: 'something missing', kind: 'connecting' };
  else if (states.includes('unknown')) summary = { text: 'Waiting for their pages to report', short: 'no report yet', kind: 'connecting' };
  else summary = { text: 'Connecting…', short: 'connecting…', kind: 'connecting' };
  return { ...summary, details: details.map((d) => d.text) };
}

/** Words for a qc_flag event (a live quality condition of a performer in the running scene), with their name. */
export function qcText(e, nameOf = (id) => id) {
  const who = nameOf(e.participant);
  const pct = (v) => `${Math.round(v * 100)} %`;
  const secs = (v) => `${Math.round(v)} s`;
  if (!e.raised) {
    const back = { mostly_silent: 'speaks enough again', talks_over: 'no longer talks over the others',
      long_silence: 'speaks again', dominates: 'no longer holds most of the speech',
      slow_turns: 'answers at a normal pace again' }[e.flag] || 'is fine again';
    return `${who} ${back}.`;
  }
  switch (e.flag) {
    case 'mostly_silent': return `${who} says very little: speaking ${pct(e.value)} of the scene so far (below ${pct(e.threshold)}).`;
    case 'talks_over': return `${who} talks over the others: ${pct(e.value)} of what they say overlaps someone (more than ${pct(e.threshold)}).`;
    case 'long_silence': return `${who} has not spoken for ${secs(e.value)}.`;
    case 'dominates': return `${who} does most of the talking: ${pct(e.value)} of all speech in this scene (more than ${pct(e.threshold)}).`;
    case 'slow_turns': return `${who} is slow to answer: usually ${Math.round(e.value)} ms before their turn (a conversation's norm is about 200 ms).`;
    case 'muted_long': return `${who} has been muted for ${secs(e.value)} of this scene.`;
    case 'reconnects': return `${who}'s connection dropped and came back ${Math.round(e.value)} times in this scene.`;
    default: return `${who}: ${e.flag}.`;
  }
}

export const LOBBY_LOST_TEXT = 'Connection to the lobby lost. Reconnecting by itself (you keep your place for a short while); check your network (Wi-Fi, cable) if this lasts.';

export const CONNECTION_LOST_TEXT = 'Connection to the room lost. Reconnecting by itself; check your network (Wi-Fi, cable) if this lasts.';

/** Server time (µs since the epoch) as HH:MM:SS.mmm local time. */
export function clockText(us) {
  const d = new Date(Math.floor(us / 1000));
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Creates an element with attributes and children (strings become text nodes; never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
