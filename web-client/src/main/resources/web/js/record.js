// Recorder view: the room's event stream as a table, and the received lines saved as JSONL on demand.
// The server replays the whole session to recorders on their first connect, and whatever was missed on resume.

import { RoomConnection, ROOM_EVENT_TYPES } from './connection.js';
import { tokenFromPage, expired } from './token.js';
import { FATAL_TEXT, CONNECTION_LOST_TEXT, clockText, el } from './messages.js';

const $ = (id) => document.getElementById(id);
const { token, claims } = tokenFromPage();
const state = { conn: null, lines: [], names: new Map(), fatal: null, sessionId: null };

function banner(kind, text) {
  const b = $('banner');
  b.className = text ? `banner ${kind}` : 'banner hidden';
  b.textContent = text || '';
}

function fail(text) {
  state.fatal = text;
  banner('error', text);
}

/** One line of text that says what an event is about. */
export function summary(e, nameOf = (id) => id) {
  switch (e.type) {
    case 'member_joined': return `${e.member.name} joined as ${e.member.role}`;
    case 'presence': return `${nameOf(e.id)} ${e.connected ? 'is back' : 'lost the connection'}`;
    case 'member_left': return `${nameOf(e.id)} left (${e.reason})`;
    case 'prompt': return `“${e.text}”${e.durationMs ? ` for ${Math.round(e.durationMs / 1000)} s` : ''}`;
    case 'mark': return `${nameOf(e.actor)}: ${e.kind}${typeof e.serverTs === 'number' ? ` at ${clockText(e.serverTs)} (corrected)` : ''}`;
    case 'scene_started': return `scene ${e.scene} started${e.title ? `: ${e.title}` : ''}`;
    case 'scene_ended': return `scene ${e.scene} ended`;
    case 'muted': return `${nameOf(e.target)} ${e.muted ? 'muted' : 'unmuted'}`;
    case 'room_locked': return e.locked ? 'room locked' : 'room unlocked';
    case 'clock': return `${nameOf(e.actor)} clock offset ${(e.offsetUs / 1000).toFixed(1)} ms, round trip ${(e.rttUs / 1000).toFixed(1)} ms`;
    case 'room_closed': return `room closed (${e.reason})`;
    default: return '';
  }
}

function nameOf(id) {
  return state.names.get(id) || id;
}

function append(msg, raw) {
  state.lines.push(raw);
  if (msg.type === 'member_joined') state.names.set(msg.member.id, msg.member.name);
  const row = el('tr', { dataset: { seq: msg.seq, type: msg.type } },
    el('td', {}, msg.seq), el('td', {}, clockText(msg.ts)), el('td', {}, msg.type),
    el('td', { class: 'actor' }, msg.actor === 'server' ? 'server' : nameOf(msg.actor)),
    el('td', { class: 'summary' }, summary(msg, nameOf)));
  const wrap = document.querySelector('.log-wrap');
  const atBottom = wrap.scrollTop + wrap.clientHeight >= wrap.scrollHeight - 30;
  $('log').tBodies[0].append(row);
  if (atBottom) wrap.scrollTop = wrap.scrollHeight;
  $('count').textContent = `${state.lines.length} events`;
}

function download() {
  const blob = new Blob(state.lines.map((l) => `${l}\n`), { type: 'application/x-ndjson' });
  const a = el('a', { href: URL.createObjectURL(blob),
    download: `room-${claims.room}-${state.sessionId || 'session'}.jsonl` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function init() {
  if (!token || !claims) return fail('This page needs your recorder link (it ends with ?token=…). Open that link again.');
  if (claims.role !== 'recorder') return fail('This link is not a recorder link. Open the link you were sent as it is.');
  if (expired(claims)) return fail(FATAL_TEXT.TOKEN_EXPIRED);
  const conn = new RoomConnection({ roomId: claims.room, token, initialLastSeq: 0 });
  state.conn = conn;
  conn.addEventListener('state', ({ detail: { state: s, attempt } }) => {
    const pill = $('conn-state');
    pill.className = `pill ${s}`;
    pill.textContent = { connecting: 'Connecting…', connected: 'Connected', reconnecting: `Reconnecting… (${attempt})`,
      closed: 'Disconnected' }[s] || s;
    if (!state.fatal) banner(s === 'reconnecting' ? 'warn' : null, s === 'reconnecting' ? CONNECTION_LOST_TEXT : null);
  });
  conn.addEventListener('welcome', ({ detail: w }) => {
    $('room-title').textContent = `${w.room.name || 'Room'} · recorder`;
    state.sessionId = w.room.session;
    for (const m of w.roster) state.names.set(m.id, m.name);
  });
  conn.addEventListener('message', ({ detail: { msg, raw } }) => {
    if (ROOM_EVENT_TYPES.has(msg.type)) append(msg, raw);
    if (msg.type === 'error' && msg.code === 'REPLAY_UNAVAILABLE') banner('warn', 'The start of this session is no longer held by the server; the log begins later.');
  });
  conn.addEventListener('fatal', ({ detail }) => fail(FATAL_TEXT[detail.code] || `The server closed the connection: ${detail.message || detail.code}.`));
  conn.start();
}

$('download').addEventListener('click', download);

window.improv = {
  state: () => (state.conn ? state.conn.state : 'idle'),
  lines: () => [...state.lines],
  dropSocket: () => state.conn && state.conn.dropSocket(),
};

init();
