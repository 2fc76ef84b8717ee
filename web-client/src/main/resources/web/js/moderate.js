// Moderator console: roster with connection state, prompt library and free text, scenes, mute/kick, lock,
// and the live timeline. Joins with lastSeq=0 so the timeline starts with the whole session so far.

import { RoomConnection, ROOM_EVENT_TYPES } from './connection.js';
import { Timeline } from './timeline.js';
import { tokenFromPage, expired } from './token.js';
import { FATAL_TEXT, CONNECTION_LOST_TEXT, el } from './messages.js';

const $ = (id) => document.getElementById(id);
const { token, claims } = tokenFromPage();
const state = { conn: null, me: null, roster: new Map(), speaking: new Map(), locked: false, sceneActive: false,
  fatal: null, events: 0, library: [] };
const timeline = new Timeline($('timeline'));

function banner(kind, text) {
  const b = $('banner');
  b.className = text ? `banner ${kind}` : 'banner hidden';
  b.textContent = text || '';
}

function fail(text) {
  state.fatal = text;
  banner('error', text);
}

function init() {
  if (!token || !claims) return fail('This console needs your moderator link (it ends with ?token=…). Open that link again.');
  if (claims.role !== 'moderator') return fail('This link is not a moderator link. Open the link you were sent as it is.');
  if (expired(claims)) return fail(FATAL_TEXT.TOKEN_EXPIRED);
  loadLibrary();
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
    state.me = w.you;
    $('room-title').textContent = `${w.room.name || 'Room'} · moderator`;
    state.roster = new Map(w.roster.map((m) => [m.id, { ...m }]));
    for (const m of w.roster) if (m.role === 'performer') timeline.row(m.id, m.name);
    setLocked(w.room.locked);
    setScene(w.room.sceneActive, w.room.scene, w.room.sceneTitle);
    if (w.room.prompt) showCurrent(w.room.prompt);
    renderRoster();
  });
  conn.addEventListener('message', ({ detail: { msg } }) => onMessage(msg));
  conn.addEventListener('fatal', ({ detail }) => fail(FATAL_TEXT[detail.code] || `The server closed the connection: ${detail.message || detail.code}.`));
  conn.start();
  setInterval(() => timeline.render(conn.serverNowMicros()), 1000);
}

function nameOf(id) {
  const m = state.roster.get(id);
  return m ? m.name : id;
}

function onMessage(msg) {
  if (ROOM_EVENT_TYPES.has(msg.type)) {
    state.events++;
    timeline.add(msg, nameOf);
  }
  switch (msg.type) {
    case 'member_joined':
      state.roster.set(msg.member.id, { ...msg.member });
      break;
    case 'presence': {
      const m = state.roster.get(msg.id);
      if (m) m.connected = msg.connected;
      break;
    }
    case 'member_left':
      state.roster.delete(msg.id);
      break;
    case 'muted': {
      const m = state.roster.get(msg.target);
      if (m) m.muted = msg.muted;
      break;
    }
    case 'mark':
      if (msg.kind === 'speaking_start' || msg.kind === 'speaking_stop') {
        state.speaking.set(msg.actor, msg.kind === 'speaking_start');
      }
      break;
    case 'room_locked':
      setLocked(msg.locked);
      break;
    case 'scene_started':
      setScene(true, msg.scene, msg.title);
      break;
    case 'scene_ended':
      setScene(false, msg.scene);
      break;
    case 'prompt':
      showCurrent(msg);
      break;
    case 'error':
      if (!state.fatal && msg.cid) banner('warn', `The server refused that: ${msg.message}`);
      break;
    case 'notice':
      banner(msg.level === 'error' ? 'error' : 'warn', msg.message);
      break;
    case 'room_closed':
      fail(FATAL_TEXT.ROOM_CLOSED);
      break;
    default:
  }
  renderRoster();
  timeline.render(state.conn.serverNowMicros());
}

function renderRoster() {
  const rows = [...state.roster.values()].map((m) => {
    const self = state.me && m.id === state.me.id;
    const speaking = state.speaking.get(m.id);
    return el('tr', { dataset: { member: m.id } },
      el('td', {}, m.name, self ? ' (you)' : '', speaking ? el('span', { class: 'pill connected', style: 'margin-left:.4rem' }, 'speaking') : ''),
      el('td', {}, m.role),
      el('td', {}, el('span', { class: `pill ${m.connected ? 'connected' : 'reconnecting'}` }, m.connected ? 'connected' : 'away')),
      el('td', {}, m.muted ? 'muted' : 'on'),
      el('td', { class: 'actions' }, self ? '' : [
        m.role === 'performer' ? el('button', { class: 'mute',
          onclick: () => state.conn.send({ type: 'mute', target: m.id, muted: !m.muted }) }, m.muted ? 'Unmute' : 'Mute') : '',
        ' ',
        el('button', { class: 'kick danger', onclick: () => kick(m) }, 'Kick'),
      ]));
  });
  $('roster').tBodies[0].replaceChildren(...rows);
}

function kick(member) {
  if (window.confirm(`Remove ${member.name} from the room? They cannot come back with their link.`)) {
    state.conn.send({ type: 'kick', target: member.id, reason: 'removed by the moderator' });
  }
}

function setLocked(locked) {
  state.locked = locked;
  $('lock').setAttribute('aria-pressed', String(locked));
  $('lock').textContent = locked ? 'Unlock room' : 'Lock room';
}

function setScene(active, number, title) {
  state.sceneActive = active;
  $('scene').textContent = active ? `Scene ${number}${title ? `: ${title}` : ''} — on` : number ? `Scene ${number} ended` : 'No scene yet';
  $('scene').className = `pill${active ? ' connected' : ''}`;
  $('scene-start').disabled = active;
  $('scene-end').disabled = !active;
}

function showCurrent(prompt) {
  $('current-prompt').textContent = `Current prompt: “${prompt.text}”${prompt.durationMs ? ` (${Math.round(prompt.durationMs / 1000)} s)` : ''}`;
}

// ---------------------------------------------------------------------------------------------- library

async function loadLibrary() {
  let data = null;
  for (const url of [`/api/prompts?token=${encodeURIComponent(token)}`, 'prompts.json']) {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (r.ok) {
        data = await r.json();
        if (data && Array.isArray(data.categories)) break;
      }
    } catch (e) { /* next source */ }
    data = null;
  }
  state.library = data ? data.categories : [];
  $('category').replaceChildren(...state.library.map((c, i) => el('option', { value: i }, c.name)));
  showCategory(0);
}

function showCategory(index) {
  const category = state.library[index];
  $('library').replaceChildren(...(category ? category.prompts : []).map((text) => {
    const t = typeof text === 'string' ? text : text.text;
    return el('button', { onclick: () => { $('prompt-text').value = t; $('prompt-text').dataset.category = category.name; } }, t);
  }));
}

$('category').addEventListener('change', (e) => showCategory(Number(e.target.value)));
$('prompt-text').addEventListener('input', () => { delete $('prompt-text').dataset.category; });

$('push').addEventListener('click', () => {
  const text = $('prompt-text').value.trim();
  if (!text) {
    banner('warn', 'Type a prompt or pick one from the library first.');
    return;
  }
  const seconds = Number($('duration').value);
  const message = { type: 'prompt', text };
  if (seconds > 0) message.durationMs = Math.round(seconds * 1000);
  if ($('prompt-text').dataset.category) message.meta = { category: $('prompt-text').dataset.category };
  state.conn.send(message);
  if (!state.fatal) banner();
});

$('scene-start').addEventListener('click', () => {
  const title = $('scene-title').value.trim();
  state.conn.send(title ? { type: 'scene_start', title } : { type: 'scene_start' });
});
$('scene-end').addEventListener('click', () => state.conn.send({ type: 'scene_end' }));
$('lock').addEventListener('click', () => state.conn.send({ type: 'lock', locked: !state.locked }));

window.improv = {
  state: () => (state.conn ? state.conn.state : 'idle'),
  roster: () => [...state.roster.values()],
  timeline: () => timeline.counts(),
  events: () => state.events,
  dropSocket: () => state.conn && state.conn.dropSocket(),
};

init();
